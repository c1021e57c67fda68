"""``forms token``: the agencies' API tokens (an admin's commands).

forms token add --agency jetro [--label TEXT]     prints the new token once (keep it: only its hash is stored)
forms token list [--json]
forms token revoke ID
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from forms.cli.review_session import add_actor_option
from forms.config import Settings
from forms.spec import AGENCIES

if TYPE_CHECKING:
    from forms.access.tokens import Tokens


@contextmanager
def _tokens(settings: Settings) -> Iterator[Tokens]:
    from forms.access.tokens import Tokens
    from forms.store import Store

    settings.home.mkdir(parents=True, exist_ok=True)
    with Store.open(settings.store_url) as store:
        yield Tokens(store)


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    with _tokens(settings) as tokens:
        record, token = tokens.create(args.agency, label=args.label or "", actor=args.actor)
    print(f"トークン {record.id}（{record.agency}）を作成しました。この値は二度と表示されません:")
    print(token)
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    with _tokens(settings) as tokens:
        records = tokens.all()
    if args.json:
        rows = [
            {
                "id": r.id,
                "agency": r.agency,
                "label": r.label,
                "created_at": r.created_at.isoformat(),
                "created_by": r.created_by,
                "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None,
            }
            for r in records
        ]
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    for r in records:
        state = f"無効（{r.revoked_by}）" if r.revoked_at else "有効"
        print(f"{r.id}\t{r.agency}\t{state}\t{r.label}\t{r.created_by}")
    return 0


def cmd_revoke(args: argparse.Namespace, settings: Settings) -> int:
    with _tokens(settings) as tokens:
        tokens.revoke(args.id, actor=args.actor)
    print(f"トークン {args.id} を無効にしました。")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = subparsers.add_parser("token", help="the agencies' API tokens: add, list, revoke")
    sub = token.add_subparsers(dest="token_command", required=True)
    add = sub.add_parser("add", help="a new token for one agency (printed once)")
    add.add_argument("--agency", required=True, choices=AGENCIES)
    add.add_argument("--label", help="what it is for, e.g. the agency's system")
    add.set_defaults(func=cmd_add)
    ls = sub.add_parser("list", help="every token, revoked ones too")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    revoke = sub.add_parser("revoke", help="refuse a token from now on")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(func=cmd_revoke)
    for p in (add, revoke):
        add_actor_option(p)
