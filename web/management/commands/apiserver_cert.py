"""`manage.py apiserver_cert [--host H ...]`: make the API server's TLS certificate if missing."""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from web.tls import ensure_certificate


class Command(BaseCommand):
    help = "Create the self-signed serving certificate of the Kubernetes API (https) if it is missing."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--host", action="append", default=None, help="an address or name the certificate is valid for (repeatable)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        hosts = opts["host"] or ["127.0.0.1", "localhost"]
        key, cert = ensure_certificate(settings.KUBECLASS_TLS_DIR, list(hosts))
        self.stdout.write(f"{cert}")
