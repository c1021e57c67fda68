"""The ``forms`` command: builds the parser from the command groups, loads Settings, runs one command.

Wiring only. Each group's module (``mailroom``, ``ledger``, ``documents``, ``review``, ``accounts``,
``console``) adds its commands; each command imports what it runs on inside its function, so
``forms --help`` and the ``forms work`` processes load only what they need
(tests/integration/test_cli.py checks it).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from forms.cli import accounts as cli_accounts
from forms.cli import backup as cli_backup
from forms.cli import chase as cli_chase
from forms.cli import console as cli_console
from forms.cli import documents as cli_documents
from forms.cli import export as cli_export
from forms.cli import ledger as cli_ledger
from forms.cli import mailroom as cli_mailroom
from forms.cli import review as cli_review
from forms.cli import tokens as cli_tokens
from forms.config import load_settings
from forms.errors import FormsError
from forms.files import PRIVATE_UMASK


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="forms", description="海外展開支援 様式1 メールルーム")
    ap.add_argument("--config", type=Path, help="settings file (TOML)")
    ap.add_argument("-v", "--verbose", action="store_true", help="log what happens to each input")
    sub = ap.add_subparsers(dest="command", required=True)
    groups = (
        cli_mailroom,
        cli_ledger,
        cli_documents,
        cli_review,
        cli_accounts,
        cli_console,
        cli_chase,
        cli_backup,
        cli_export,
        cli_tokens,
    )
    for group in groups:
        group.register(sub)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    verbose = args.verbose or args.command in ("serve", "work")  # services log each message
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    umask = os.umask(PRIVATE_UMASK)  # what the service writes is its own (forms.files)
    try:
        settings = load_settings(args.config)
        return int(args.func(args, settings))
    except FormsError as exc:
        print(f"forms: {exc}", file=sys.stderr)
        return 1
    finally:
        os.umask(umask)


if __name__ == "__main__":
    sys.exit(main())
