"""The clerks' commands of ``forms``, for operators who script (the same operations as the console):

    forms review list [--status S --reason CODE --agency A --bank TEXT --since D --until D --search TEXT]
                      [--limit N --offset N] [--json]
    forms review show ID [--json]
    forms review fix ID FIELD=VALUE... [--actor NAME]      stores corrections, prints the new decision
    forms review route ID | reject ID [--message TEXT] | handled ID [--note TEXT]  [--actor NAME]
    forms review retry ID | --outbox ID [--actor NAME]
    forms review contacted REF [--actor NAME]              the agency reached the company (rule 11)
    forms review reprocess [IDS... | --status S] [--apply] [--progress] [--actor NAME]
    forms review outbox [--state S] [--json] | requeue (OUTBOX_ID... | --all)     (cli/review_outbox.py)

``--actor`` (default ``cli:<login name>``) is who the event log names. A refused action prints why in
Japanese and exits 1 (the ``forms`` command prints every FormsError so).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from forms.cli import review_outbox
from forms.cli.review_session import add_actor_option, open_review
from forms.config import Settings
from forms.errors import ReviewError
from forms.jp.wareki import JST
from forms.model import Decision
from forms.normalize import parse_date

if TYPE_CHECKING:
    from forms.review import IntakeView, QueueRow

_STATUS_HELP = (
    "needs_review, rejected, routed, duplicate, automatic, failed, handled or all (default: the open queue)"
)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _when(at: dt.datetime) -> str:
    return at.astimezone(JST).strftime("%Y-%m-%d %H:%M")


def _day(option: str, text: str | None) -> dt.date | None:

    if not text:
        return None
    day = parse_date(text)
    if day is None:
        raise ReviewError(f"「{option}」: 日付として読めません（{text}）")
    return day


# ── list / show ───────────────────────────────────────────────────────────────────────────────
def _row_json(r: QueueRow) -> dict[str, Any]:
    return {**{k: _jsonable(v) for k, v in vars(r).items()}, "reasons": list(r.reasons)}


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from forms.review import QueueFilter

    f = QueueFilter(
        status=args.status,
        reason=args.reason,
        agency=args.agency,
        bank=args.bank,
        since=_day("--since", args.since),
        until=_day("--until", args.until),
        search=args.search,
    )
    with open_review(settings) as review:
        rows, total = review.queue.page(f, limit=args.limit, offset=args.offset)
    if args.json:
        print(json.dumps({"total": total, "rows": [_row_json(r) for r in rows]}, ensure_ascii=False))
        return 0
    print(f"{total}件（{len(rows)}件を表示）")
    for r in rows:
        cells = [str(r.id), r.reference or "-", _when(r.received_at), r.status, r.agency or "-"]
        cells += [r.bank_name or "-", r.company_name or "-", ",".join(r.reasons) or "-"]
        print("\t".join(cells))
    return 0


def _view_json(v: IntakeView) -> dict[str, Any]:
    return {
        "id": v.row.id,
        "reference": v.row.reference,
        "state": v.row.state,
        "attempts": v.row.attempts,
        "last_error": v.row.last_error,
        "received_at": v.row.received_at.isoformat(),
        "decision": v.decision.to_json(),
        "fields": {k: _jsonable(x) for k, x in v.fields.items()},
        "raw": {k: {"value": val, "confidence": c} for k, (val, c) in v.raw.items()},
        "low_confidence": sorted(v.low_confidence),
        "corrections": v.corrections,
        "pages": v.pages,
        "shape": v.shape,
        "handled_at": _jsonable(v.handled_at),
        "handled_by": v.handled_by,
        "events": [
            {"at": e.at.isoformat(), "kind": e.kind, "actor": e.actor, "detail": dict(e.detail)}
            for e in v.events
        ],
    }


def _decision_lines(d: Decision) -> list[str]:
    lines = [f"判定: {d.status}" + (f"（{d.agency}）" if d.agency else "")]
    lines += [f"  - [{r.code}] {r.message}" for r in d.reasons]
    return lines


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:

    with open_review(settings) as review:
        view = review.queue.view(args.id)
        if view is None:
            raise ReviewError(f"申込み {args.id} はありません")
        spec = review.desk.spec
    if args.json:
        print(json.dumps(_view_json(view), ensure_ascii=False, default=str))
        return 0
    row = view.row
    print(
        f"申込み {row.id}  受付番号 {row.reference or '-'}  受付 {_when(row.received_at)}  状態 {row.state}"
    )
    print("\n".join(_decision_lines(view.decision)))
    if row.state == "failed":
        print(f"処理失敗（試行 {row.attempts} 回）: {row.last_error or '-'}")
        print(f"  → forms review retry {row.id} で受付に戻せます")
    if view.handled_at is not None:
        print(f"処理済み: {_when(view.handled_at)} {view.handled_by}")
    print("■ 項目（＊ 読取りの確からしさが低い／✎ 訂正あり）")
    for key, fs in spec.fields.items():
        if key in view.fields or key in view.corrections:
            mark = ("＊" if key in view.low_confidence else "") + ("✎" if key in view.corrections else "")
            print(f"  {mark or '　'} {fs.label}（{key}）: {_jsonable(view.fields.get(key, ''))}")
    print("■ 記録")
    for e in view.events:
        print(f"  {_when(e.at)} {e.kind} {e.actor}")
    return 0


# ── actions ───────────────────────────────────────────────────────────────────────────────────
def _corrections(pairs: Sequence[str]) -> dict[str, str]:

    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ReviewError(f"訂正は 項目=値 の形で書いてください（{pair}）")
        out[key.strip()] = value
    return out


def cmd_fix(args: argparse.Namespace, settings: Settings) -> int:
    corrections = _corrections(args.corrections)
    with open_review(settings) as review:
        decision = review.corrections.fix(args.id, corrections, actor=args.actor)
    print(f"申込み {args.id}: {len(corrections)}項目を訂正しました。訂正後の判定（まだ送信していません）:")
    print("\n".join(_decision_lines(decision)))
    return 0


def cmd_route(args: argparse.Namespace, settings: Settings) -> int:
    with open_review(settings) as review:
        decision = review.corrections.route(args.id, actor=args.actor)
    print(f"申込み {args.id} を {decision.agency} へ転送します（送信キューに入れました）。")
    return 0


def cmd_reject(args: argparse.Namespace, settings: Settings) -> int:
    with open_review(settings) as review:
        review.corrections.reject(args.id, actor=args.actor, message=args.message)
    print(f"申込み {args.id} を差し戻しました。")
    return 0


def cmd_handled(args: argparse.Namespace, settings: Settings) -> int:
    with open_review(settings) as review:
        review.corrections.mark_handled(args.id, actor=args.actor, note=args.note or "")
    print(f"申込み {args.id} を処理済みにしました。")
    return 0


def cmd_contacted(args: argparse.Namespace, settings: Settings) -> int:
    with open_review(settings) as review:
        row = review.contacts.mark(args.ref, actor=args.actor)
    print(f"申込み {row.reference or row.id} を連絡済みにしました。")
    return 0


def cmd_retry(args: argparse.Namespace, settings: Settings) -> int:

    if (args.id is None) == (args.outbox is None):
        raise ReviewError("申込み番号か --outbox のどちらか一方を指定してください")
    with open_review(settings) as review:
        if args.outbox is not None:
            review.corrections.retry_message(args.outbox, actor=args.actor)
            print(f"送信メッセージ {args.outbox} を再送キューに入れました。")
        else:
            review.corrections.retry(args.id, actor=args.actor)
            print(f"申込み {args.id} を再処理キューに入れました（forms process で処理されます）。")
    return 0


def cmd_reprocess(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    if bool(args.ids) == bool(args.status):
        raise ReviewError("申込み番号か --status のどちらか一方を指定してください")
    show = bool(args.progress) or sys.stderr.isatty()
    with open_review(settings) as review:
        ids = list(args.ids) or review.queue.decided_ids(args.status)
        with tqdm(total=len(ids), desc="再処理", unit="件", file=sys.stderr, disable=not show) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            results = review.reprocess.run(ids, apply=args.apply, actor=args.actor, progress=progress)
    changed = [r for r in results if r[1] != r[2] and not r[2].startswith("(")]
    print("id\tbefore\tafter")
    for intake_id, before, after in results:
        print(f"{intake_id}\t{before}\t{after}")
    verb = "反映しました" if args.apply else "変わります（試行のため何も記録していません。--apply で反映）"
    print(f"{len(results)}件中 {len(changed)}件の判定が{verb}。")
    return 0


# ── the parsers ───────────────────────────────────────────────────────────────────────────────
def _review_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ls = sub.add_parser("list", help="the review queue, newest first")
    ls.add_argument("--status", help=_STATUS_HELP)
    ls.add_argument("--reason", help="reason code, e.g. LOW_CONFIDENCE")
    ls.add_argument("--agency", help="jetro, scb, kosha or smrj")
    ls.add_argument("--bank", help="part of the bank's name")
    ls.add_argument("--since", help="received on or after (2026-06-01)")
    ls.add_argument("--until", help="received on or before (2026-06-30)")
    ls.add_argument("--search", help="part of the company name or the reference number")
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--offset", type=int, default=0)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    show = sub.add_parser("show", help="one intake: decision, fields, corrections, events")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)
    fix = sub.add_parser("fix", help="correct fields (FIELD=VALUE as written on the form) and preview")
    fix.add_argument("id", type=int)
    fix.add_argument("corrections", nargs="+", metavar="FIELD=VALUE")
    route = sub.add_parser("route", help="decide again with the corrections and forward when it passes")
    route.add_argument("id", type=int)
    reject = sub.add_parser("reject", help="reject: the bank gets the reasons (or --message)")
    reject.add_argument("id", type=int)
    reject.add_argument("--message", help="the points to tell the bank, one per line")
    handled = sub.add_parser("handled", help="mark an intake as dealt with")
    handled.add_argument("id", type=int)
    handled.add_argument("--note", help="why, for the event log")
    contacted = sub.add_parser("contacted", help="the agency has contacted the company (rule 11)")
    contacted.add_argument("ref", help="reference number (R8-000042) or intake id")
    contacted.set_defaults(func=cmd_contacted)
    retry = sub.add_parser("retry", help="put a failed intake back in the queue, or resend a dead letter")
    retry.add_argument("id", type=int, nargs="?")
    retry.add_argument("--outbox", type=int, help="the outbox id of a dead letter")
    reprocess = sub.add_parser("reprocess", help="decide intakes again (dry run unless --apply)")
    reprocess.add_argument("ids", type=int, nargs="*")
    reprocess.add_argument("--status", help="every decided intake with this decision")
    reprocess.add_argument("--apply", action="store_true", help="record the changed decisions and send")
    reprocess.add_argument("--progress", action="store_true", help="progress bar even when not on a terminal")
    for p, func in ((fix, cmd_fix), (route, cmd_route), (reject, cmd_reject), (handled, cmd_handled)):
        p.set_defaults(func=func)
    retry.set_defaults(func=cmd_retry)
    reprocess.set_defaults(func=cmd_reprocess)
    for p in (fix, route, reject, handled, retry, reprocess, contacted):
        add_actor_option(p)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``review …`` to the ``forms`` command."""
    review = subparsers.add_parser("review", help="the clerks' review of intakes")
    sub = review.add_subparsers(dest="review_command", required=True)
    _review_parsers(sub)
    review_outbox.add_parsers(sub)
