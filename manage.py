#!/usr/bin/env python
"""Django's command-line utility for kubeclass."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
    os.umask(0o077)  # the database, the secret key and the TLS key are this user's alone
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
