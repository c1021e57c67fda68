"""``forms backup FILE`` and ``forms restore FILE --yes``: the store saved and put back.

A backup is taken while the service runs (SQLite's online backup, or pg_dump); restoring replaces the
whole store, so stop ``forms serve`` and the console first, and say ``--yes``. See
``forms.store.backup`` for how each database is copied.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from forms.config import Settings
from forms.errors import UsageError
from forms.files import private_dir
from forms.jp.wareki import JST


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from forms.store.backup import backup  # the store's modules only for this command

    target = Path(args.file)
    if args.file.endswith("/") or target.is_dir():  # a folder: a new file named by the time (JST)
        target = private_dir(target) / f"forms-{dt.datetime.now(JST):%Y%m%d-%H%M%S}.backup"
    elif not target.parent.exists():
        private_dir(target.parent)
    kind = backup(settings.store_url, target)
    print(f"バックアップしました（{kind}）: {target}")
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    # the store's modules only for this command
    from forms.store import Store
    from forms.store.backup import restore

    if not args.yes:
        raise UsageError("restore replaces the whole store: stop forms serve and the console, then add --yes")
    private_dir(settings.home)
    kind = restore(settings.store_url, Path(args.file))
    with Store.open(settings.store_url):  # an older backup is migrated to the current schema
        pass
    print(f"復元しました（{kind}）: {args.file}")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``backup`` and ``restore`` to the ``forms`` command."""
    b = subparsers.add_parser("backup", help="back the store up into a new file (while the service runs)")
    b.add_argument(
        "file", help="the backup file to write (never over an existing one), or a folder/ to write it in"
    )
    b.set_defaults(func=cmd_backup)
    r = subparsers.add_parser("restore", help="replace the store with a backup (service stopped)")
    r.add_argument("file", help="a file written by forms backup")
    r.add_argument("--yes", action="store_true", help="yes, replace the whole store")
    r.set_defaults(func=cmd_restore)
