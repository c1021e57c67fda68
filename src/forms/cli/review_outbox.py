"""The outbox in ``forms review``, as the console's 送信状況 page shows it and acts on it:

    forms review outbox [--state dead|bounced|pending|sending|sent|all] [--json]
    forms review requeue (OUTBOX_ID... | --all) [--actor NAME]     dead letters sent again, in bulk
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from forms.cli.review_session import add_actor_option, open_review
from forms.config import Settings
from forms.errors import ReviewError
from forms.jp.wareki import JST

if TYPE_CHECKING:
    from forms.store import OutboxItem

OUTBOX_STATES = ("dead", "bounced", "pending", "sending", "sent", "all")


def _when(at: dt.datetime | None) -> str:
    return at.astimezone(JST).strftime("%Y-%m-%d %H:%M") if at else "-"


def _item_json(m: OutboxItem) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": m.id,
        "intake_id": m.intake_id,
        "kind": m.kind,
        "message_id": m.message_id,
        "recipients": list(m.recipients),
        "state": m.state,
        "attempts": m.attempts,
        "last_error": m.last_error,
        "bounce_status": m.bounce_status,
        "bounce_diagnostic": m.bounce_diagnostic,
    }
    for name in ("next_attempt_at", "sent_at", "queued_at", "unconfirmed_at", "bounced_at"):
        value = getattr(m, name)
        out[name] = value.isoformat() if value else None
    return out


def _state_text(m: OutboxItem) -> str:
    """The state, with 届いた可能性あり when a hand-over of it got no answer after the final dot."""
    return m.state + ("（届いた可能性あり）" if m.unconfirmed_at else "")


def _error_text(m: OutboxItem) -> str:
    """Why it bounced (the report's Status and Diagnostic-Code), else the last error."""
    if m.state == "bounced":
        return f"{m.bounce_status or '-'} {m.bounce_diagnostic or ''}".strip()
    return m.last_error or "-"


def cmd_outbox(args: argparse.Namespace, settings: Settings) -> int:
    with open_review(settings) as review:
        items = review.queue.outbox(None if args.state == "all" else args.state)
    items = sorted(items, key=lambda m: m.id, reverse=True)
    if args.json:
        print(json.dumps([_item_json(m) for m in items], ensure_ascii=False))
        return 0
    print(f"{len(items)}件")
    for m in items:
        when = _when(m.sent_at or m.next_attempt_at)
        cells = [str(m.id), m.kind, ",".join(m.recipients), _state_text(m), str(m.attempts), when]
        print("\t".join([*cells, _error_text(m).replace("\t", " ")]))
    return 0


def cmd_requeue(args: argparse.Namespace, settings: Settings) -> int:
    if bool(args.ids) == bool(args.all):
        raise ReviewError("送信メッセージの番号か --all のどちらか一方を指定してください")
    with open_review(settings) as review:
        done = review.corrections.requeue_dead_letters(None if args.all else args.ids, actor=args.actor)
    left = sorted(set(args.ids) - set(done))
    listed = f"（{_ids(done)}）" if done else ""
    print(f"{len(done)}件の送信不能メッセージを再送キューに入れました{listed}")
    if left:
        print(f"送信不能でないため再送しませんでした: {_ids(left)}")
    return 0


def _ids(ids: list[int]) -> str:
    return ", ".join(str(i) for i in ids)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    outbox = sub.add_parser("outbox", help="outgoing messages by state (default: dead letters)")
    outbox.add_argument("--state", choices=OUTBOX_STATES, default="dead")
    outbox.add_argument("--json", action="store_true")
    outbox.set_defaults(func=cmd_outbox)
    requeue = sub.add_parser("requeue", help="send dead letters again: these outbox ids, or --all")
    requeue.add_argument("ids", type=int, nargs="*", metavar="OUTBOX_ID")
    requeue.add_argument("--all", action="store_true", help="every dead letter")
    requeue.set_defaults(func=cmd_requeue)
    add_actor_option(requeue)
