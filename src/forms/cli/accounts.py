"""The console's accounts from the command line: ``forms user add NAME --role clerk|admin [--agency A]``.

The password is asked twice on the terminal, or read from stdin (``--password-stdin``); it is never
an argument (it would show in the process list and the shell's history).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from forms.cli.review_session import add_actor_option
from forms.config import Settings
from forms.errors import AccountError
from forms.files import private_dir


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("パスワード: ")
    if getpass.getpass("パスワード（確認）: ") != first:
        raise AccountError("パスワードが一致しません")
    return first


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    # start-up: the store (SQLAlchemy) and argon2 only for the account commands
    from forms.access.accounts import Users
    from forms.store import Store

    password = _password(args.password_stdin)
    private_dir(settings.home)
    with Store.open(settings.store_url) as store:
        user = Users(store).add(
            args.name, role=args.role, password=password, agency=args.agency, actor=args.actor
        )
    scope = f"（{user.agency}のみ）" if user.agency else ""
    print(f"アカウント {user.name} を追加しました: {user.role}{scope}")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``user add`` to the ``forms`` command."""
    user = subparsers.add_parser("user", help="console accounts")
    add = user.add_subparsers(dest="user_command", required=True).add_parser("add", help="add an account")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("clerk", "admin"))
    add.add_argument("--agency", help="a clerk who sees only this agency's intakes")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add_actor_option(add)
    add.set_defaults(func=cmd_user_add)
