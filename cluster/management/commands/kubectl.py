"""`manage.py kubectl --cluster NAME <kubectl arguments>`: kubectl against a simulated cluster."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from cluster.apiserver.errors import StatusError
from cluster.apiserver.server import APIServer
from cluster.kubectl import cli


class Command(BaseCommand):
    help = "Run a kubectl command line against a simulated cluster."

    def run_from_argv(self, argv: list[str]) -> None:
        # kubectl's own flags must reach kubectl untouched, so skip Django's parser.
        args = argv[2:]
        cluster = None
        rest: list[str] = []
        i = 0
        while i < len(args):
            if args[i] == "--cluster" and i + 1 < len(args):
                cluster = args[i + 1]
                i += 2
                continue
            if args[i].startswith("--cluster="):
                cluster = args[i].split("=", 1)[1]
            else:
                rest.append(args[i])
            i += 1
        if not cluster:
            sys.stderr.write("error: --cluster NAME is required\n")
            sys.exit(1)
        import django

        django.setup()
        try:
            api = APIServer(cluster, client="kubectl")
        except StatusError as err:
            sys.stderr.write(f"error: {err.message}\n")
            sys.exit(1)
        sys.exit(cli.run(api, rest))

    def handle(self, *args: object, **options: object) -> None:
        raise CommandError("usage: manage.py kubectl --cluster NAME <kubectl arguments>")
