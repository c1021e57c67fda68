"""The console's accounts from the command line (an operator's, unscoped):

    forms user add NAME --role clerk|admin [--agency A | --all-agencies] [--password-stdin]
    forms user list
    forms user set NAME [--role clerk|admin] [--agency A | --all-agencies]
    forms user disable NAME | enable NAME
    forms user password NAME [--password-stdin]      (a reset: the account's sessions end)

A clerk has one agency or, on purpose, every agency; an admin has every agency by role. A password
is asked twice on the terminal, or read from stdin (``--password-stdin``); it is never an argument
(it would show in the process list and the shell's history).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from forms.cli.review_session import add_actor_option
from forms.cli.tables import table
from forms.config import Settings
from forms.errors import AccountError
from forms.files import private_dir

if TYPE_CHECKING:
    from forms.access.accounts import User, Users


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("パスワード: ")
    if getpass.getpass("パスワード（確認）: ") != first:
        raise AccountError("パスワードが一致しません")
    return first


@contextmanager
def _users(settings: Settings) -> Iterator[Users]:
    # start-up: the store (SQLAlchemy) and argon2 only for the account commands
    from forms.access.accounts import Users
    from forms.store import Store

    private_dir(settings.home)
    with Store.open(settings.store_url) as store:
        yield Users(store)


def _described(user: User) -> str:
    state = "（無効）" if user.disabled else ""
    return f"{user.name}: {user.role}・{user.scope.label()}{state}"


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    password = _password(args.password_stdin)
    with _users(settings) as users:
        user = users.add(
            args.name,
            role=args.role,
            password=password,
            agency=args.agency,
            all_agencies=args.all_agencies,
            actor=args.actor,
        )
    print(f"アカウントを追加しました: {_described(user)}")
    return 0


def cmd_user_list(args: argparse.Namespace, settings: Settings) -> int:
    with _users(settings) as users:
        rows = [[u.name, u.role, u.scope.label(), "無効" if u.disabled else "有効"] for u in users.all()]
    print("\n".join(table(["アカウント", "役割", "担当", "状態"], rows, frozenset())))
    return 0


def cmd_user_set(args: argparse.Namespace, settings: Settings) -> int:
    with _users(settings) as users:
        now = users.get(args.name)
        if now is None:
            raise AccountError(f"アカウント {args.name} はありません")
        role = args.role or now.role
        keep = role == now.role and args.agency is None and not args.all_agencies
        agency = now.agency if keep else args.agency
        everyone = now.all_agencies if keep else args.all_agencies
        user = users.set_access(args.name, role=role, agency=agency, all_agencies=everyone, actor=args.actor)
    print(f"アカウントを変更しました（サインイン中のセッションは終了）: {_described(user)}")
    return 0


def _switch(disabled: bool) -> Callable[[argparse.Namespace, Settings], int]:
    def cmd(args: argparse.Namespace, settings: Settings) -> int:
        with _users(settings) as users:
            users.set_disabled(args.name, disabled, actor=args.actor)
        print(f"アカウント {args.name} を{'無効' if disabled else '有効'}にしました")
        return 0

    return cmd


def cmd_user_password(args: argparse.Namespace, settings: Settings) -> int:
    password = _password(args.password_stdin)
    with _users(settings) as users:
        users.set_password(args.name, password, actor=args.actor)
    print(f"アカウント {args.name} のパスワードを設定しました（サインイン中のセッションは終了）")
    return 0


def _scope_options(p: argparse.ArgumentParser) -> None:
    which = p.add_mutually_exclusive_group()
    which.add_argument("--agency", help="a clerk who sees only this agency's intakes")
    which.add_argument("--all-agencies", action="store_true", help="a clerk who sees every agency")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``user add|list|set|disable|enable|password`` to the ``forms`` command."""
    user = subparsers.add_parser("user", help="console accounts")
    sub = user.add_subparsers(dest="user_command", required=True)
    add = sub.add_parser("add", help="add an account")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("clerk", "admin"))
    _scope_options(add)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(func=cmd_user_add)
    sub.add_parser("list", help="every account, its role, scope and state").set_defaults(func=cmd_user_list)
    change = sub.add_parser("set", help="change an account's role or scope (its sessions end)")
    change.add_argument("name")
    change.add_argument("--role", choices=("clerk", "admin"))
    _scope_options(change)
    change.set_defaults(func=cmd_user_set)
    for verb, disabled in (("disable", True), ("enable", False)):
        s = sub.add_parser(verb, help=f"{verb} an account (disabling ends its sessions)")
        s.add_argument("name")
        s.set_defaults(func=_switch(disabled))
    reset = sub.add_parser("password", help="set a new password (its sessions end)")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    reset.set_defaults(func=cmd_user_password)
    for p in (add, change, reset, *(sub.choices[v] for v in ("disable", "enable"))):
        add_actor_option(p)
