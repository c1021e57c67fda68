"""The document commands of ``forms``: 様式2 and 様式3 from the store, and the overdue 様式3.

    forms youshiki2 4010001234567 --agency jetro --from 2026-06-01 --to 2026-06-30 \\
        [--navigator NAME] [--issued DATE] [--out DIR] [--format docx,pdf] [--send [--mail-to ADDRESS]]
    forms youshiki2 --batch --agency jetro --from 2026-06-01 --to 2026-06-30 [--send]
    forms youshiki3 4010001234567 --agency jetro [--issued DATE] [--due DATE] [--out DIR] [--format …]
        [--send [--mail-to ADDRESS]]
    forms youshiki3 --batch [--agency jetro] [--issued DATE] [--out DIR] [--workers N] [--send]
    forms youshiki3 --overdue [--json] [--today DATE]

``--send`` queues the document's mail in the outbox (``forms serve`` or ``forms process`` sends it):
様式2 to the company's 担当者E-mail on 様式1 (scb: a copy to the bank), 様式3 to the bank's
金融機関E-mail (jetro: with 様式1 and 様式2), or to ``--mail-to``. Each document gets a reference number
(R8-Y2-…, R8-Y3-…) that it prints; a 様式2 batch skips the companies reported for that period, a
様式3 batch the 様式1 that have one (run twice, or twice at once, a batch issues each document once).

A company is named as in the ledger commands (its 法人番号, or ``--name`` and ``--postal-code``).
The company and its bank are those of the company's newest routed 様式1 in the store (its decision's
fields); 様式2's rows and cap come from the ledger. Every 様式3 issued is recorded (company, agency,
the 様式1's intake, issued_on, due_on, files) so that its answer can be matched when the bank returns
it, and ``--overdue`` lists those past their 回答期日 and unanswered. Files go to ``--out`` (default
``$FORMS_HOME/documents``); the PDF font cut is cached in ``$FORMS_HOME/fonts``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forms.cli.ledger import newest_rulebook
from forms.cli.review_session import add_actor_option
from forms.cli.tables import table
from forms.config import Settings
from forms.errors import UsageError
from forms.files import private_dir
from forms.jp.wareki import today_in_japan
from forms.ledger import CompanyKey
from forms.ledger.naming import company_key
from forms.ledger.sheet import shown
from forms.normalize import parse_date
from forms.spec import ISSUERS

if TYPE_CHECKING:
    from forms.documents.issued import IssuedYoushiki3, RoutedForm
    from forms.documents.sending import Batch, DocumentPost, Issued
    from forms.store import Store


# ── options ───────────────────────────────────────────────────────────────────────────────────
def _company(args: argparse.Namespace) -> CompanyKey:
    number = args.company or ""
    if args.company_arg:
        if number:
            raise UsageError("「--company」: 法人番号は1つだけ指定してください")
        number = args.company_arg
    if number and (args.name or args.postal_code):
        raise UsageError("「--company」: --company と --name/--postal-code は同時に指定できません")
    if not (number or args.name or args.postal_code):
        raise UsageError("企業を指定してください（法人番号、又は --name と --postal-code）")
    found = company_key(number, args.name or "", args.postal_code or "")
    if isinstance(found, CompanyKey):
        return found
    raise UsageError("; ".join(str(p.param("message")) for p in found))


def _date(option: str, text: str | None, default: dt.date | None = None) -> dt.date:
    if text is None:
        if default is None:
            raise UsageError(f"「{option}」を指定してください")
        return default
    day = parse_date(text)
    if day is None:
        raise UsageError(
            f"「{option}」: 日付（2026-06-10 又は 令和8年6月10日）として読めません（{shown(text)}）"
        )
    return day


def _formats(text: str) -> tuple[str, ...]:
    from forms.documents.batch import FORMATS

    chosen = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    if not chosen or any(f not in FORMATS for f in chosen):
        raise UsageError(f"「--format」: {', '.join(FORMATS)} を指定してください（{shown(text)}）")
    return chosen


def _out(args: argparse.Namespace, settings: Settings) -> Path:
    return Path(args.out) if args.out else settings.home / "documents"


def _routed(store: Store, key: CompanyKey, agency: str) -> RoutedForm:
    """The company's newest routed 様式1 to ``agency``, else to any agency that issues documents."""
    from forms.documents.issued import IssuedDocuments  # start-up: the documents only for their commands

    form = IssuedDocuments(store).routed_form(key, agency)
    if form is None:
        raise UsageError(f"企業 {key} の受付済み（routed）の様式1がストアにありません")
    return form


# ── youshiki2 ─────────────────────────────────────────────────────────────────────────────────
def _post(store: Store, settings: Settings, out: Path) -> DocumentPost:
    from forms.documents.sending import DocumentPost
    from forms.route import MailTemplates
    from forms.rules.loader import load_rulebooks
    from forms.store.ledger import StoreLedger

    rulebooks = load_rulebooks(settings.rulebook_dir)
    return DocumentPost(
        store,
        settings,
        rulebooks=rulebooks,
        ledger=StoreLedger.newest(store, rulebooks),
        texts=MailTemplates.for_settings(settings),
        out_dir=out,
    )


def _issued_lines(issued: Issued, what: str) -> list[str]:
    sent = f"、送付先 {', '.join(issued.recipients)}（送信キューに入れました）" if issued.recipients else ""
    due = f" 回答期日 {issued.due_on.isoformat()}" if issued.due_on else ""
    head = f"{what}を作成しました: {issued.reference} {issued.company_name}{due}{sent}"
    return [head, *(f"  {p}" for p in issued.files)]


def cmd_youshiki2(args: argparse.Namespace, settings: Settings) -> int:
    from forms.store import Store

    try:
        issued_on = _date("--issued", args.issued, today_in_japan())
        period = (_date("--from", args.date_from), _date("--to", args.date_to))
        formats = _formats(args.format)
        if period[1] < period[0]:
            raise UsageError("「--to」: 支援期間の終わりが始まりより前です")
        key = None if args.batch else _company(args)
        private_dir(settings.home)
        with Store.open(settings.store_url) as store:
            post = _post(store, settings, _out(args, settings))
            common = {"agency": args.agency, "period": period, "issued_on": issued_on, "formats": formats}
            if key is None:
                batch = post.youshiki2_batch(send=args.send, actor=args.actor, **common)
                print(f"様式2を{batch.count}件作成しました（{_out(args, settings)}）。")
                _print_batch(batch, "様式2")
                return 0
            form = _routed(store, key, args.agency)
            one = post.youshiki2(
                key,
                form=form,
                navigator=args.navigator or "",
                send=args.send,
                to=args.mail_to,
                actor=args.actor,
                **common,
            )
    except UsageError as exc:
        return _refuse(str(exc))
    print("\n".join(_issued_lines(one, "様式2")))
    return 0


# ── youshiki3 ─────────────────────────────────────────────────────────────────────────────────
def cmd_youshiki3(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.overdue:
            return _overdue(args, settings)
        if args.batch:
            return _batch(args, settings)
        return _one(args, settings)
    except UsageError as exc:
        return _refuse(str(exc))


def _one(args: argparse.Namespace, settings: Settings) -> int:
    from forms.store import Store

    if args.agency is None:
        raise UsageError("「--agency」を指定してください（jetro 又は scb）")
    key = _company(args)
    issued_on = _date("--issued", args.issued, today_in_japan())
    due_on = _date("--due", args.due) if args.due else None
    formats = _formats(args.format)
    private_dir(settings.home)
    with Store.open(settings.store_url) as store:
        form = _routed(store, key, args.agency)
        if form.agency != args.agency:  # the company's 様式1 went to the other issuer: issue as asked
            form = dataclasses.replace(form, agency=args.agency)
        issued = _post(store, settings, _out(args, settings)).youshiki3(
            form,
            issued_on=issued_on,
            due_on=due_on,
            send=args.send,
            to=args.mail_to,
            formats=formats,
            actor=args.actor,
        )
    print("\n".join(_issued_lines(issued, "様式3")))
    return 0


def _mailed_batch(args: argparse.Namespace, settings: Settings, agencies: Sequence[str]) -> int:
    """--batch --send: each 様式3 written, recorded and queued with its mail, one after another."""
    from forms.store import Store

    issued_on = _date("--issued", args.issued, today_in_japan())
    formats = _formats(args.format)
    with Store.open(settings.store_url) as store:
        post = _post(store, settings, _out(args, settings))
        batch = post.youshiki3_batch(
            agencies=agencies, issued_on=issued_on, send=True, formats=formats, actor=args.actor
        )
    print(f"様式3を{batch.count}件作成しました（{_out(args, settings)}）。")
    _print_batch(batch, "様式3")
    return 0


def _print_batch(batch: Batch, what: str) -> None:
    for one in batch.issued:
        print(_issued_lines(one, what)[0])
    for skip in batch.skipped:
        print(f"作成しませんでした: {skip.company}: {skip.reason}")
    if batch.already:
        print(f"発行済みのため作成しなかったもの: {batch.already}件")


def _batch(args: argparse.Namespace, settings: Settings) -> int:
    from forms.documents.issued import IssuedDocuments
    from forms.rules.loader import load_rulebooks
    from forms.store import Store

    agencies = (args.agency,) if args.agency else ISSUERS
    if args.send:
        return _mailed_batch(args, settings, agencies)
    issued_on = _date("--issued", args.issued, today_in_japan())
    formats = _formats(args.format)
    rulebook = load_rulebooks(settings.rulebook_dir).for_date(issued_on)
    out = _out(args, settings)
    private_dir(settings.home)
    with Store.open(settings.store_url) as store:
        batch = IssuedDocuments(store).batch(
            agencies=agencies,
            rulebook=rulebook,
            issued_on=issued_on,
            out_dir=out,
            formats=formats,
            font_dir=settings.home / "fonts",
            workers=args.workers,
            progress=not args.quiet,
        )
    print(f"様式3を{batch.count}件作成しました（{out}）。")
    return 0


def overdue_json(found: list[IssuedYoushiki3], today: dt.date) -> list[dict[str, Any]]:
    return [
        {
            "id": i.id,
            "company": str(i.company),
            "company_name": i.company_name,
            "bank_name": i.bank_name,
            "agency": i.agency,
            "intake_id": i.intake_id,
            "issued_on": i.issued_on.isoformat(),
            "due_on": i.due_on.isoformat(),
            "days_overdue": i.days_overdue(today),
            "files": list(i.files),
        }
        for i in found
    ]


def overdue_text(found: list[IssuedYoushiki3], today: dt.date, names: dict[str, str]) -> str:
    """The overdue 様式3 as the Japanese table staff read (the longest overdue first)."""
    rows = [
        [
            i.due_on.isoformat(),
            i.company_name,
            i.bank_name,
            names.get(i.agency, i.agency),
            f"{i.days_overdue(today)}日",
        ]
        for i in found
    ]
    header = ["回答期日", "企業名", "金融機関", "支援機関", "経過日数"]
    return "\n".join(
        [
            f"■ 回答期日を過ぎた未回答の様式3（{today.isoformat()} 現在）",
            *table(header, rows, frozenset({4})),
        ]
    )


def _overdue(args: argparse.Namespace, settings: Settings) -> int:
    from forms.documents.issued import IssuedDocuments
    from forms.store import Store

    today = _date("--today", args.today, today_in_japan())
    private_dir(settings.home)
    with Store.open(settings.store_url) as store:
        found = IssuedDocuments(store).overdue(today)
    if args.json:
        print(json.dumps(overdue_json(found, today), ensure_ascii=False))
    else:
        print(overdue_text(found, today, newest_rulebook(settings).short_names()))
    return 0


def _refuse(message: str) -> int:
    print(f"forms: {message}", file=sys.stderr)
    return 1


# ── the parsers ───────────────────────────────────────────────────────────────────────────────
def _company_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("company_arg", nargs="?", metavar="COMPANY", help="法人番号 (same as --company)")
    p.add_argument("--company", help="法人番号 (13 digits)")
    p.add_argument("--name", help="個人事業者: company name (屋号), with --postal-code")
    p.add_argument("--postal-code", dest="postal_code", help="個人事業者: postal code of the company")


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--send", action="store_true", help="mail it too (queued in the outbox; serve/process send)"
    )
    p.add_argument("--mail-to", dest="mail_to", help="--send: this address instead of the one on 様式1")
    add_actor_option(p)
    p.add_argument("--issued", help="issue date (default: today, JST)")
    p.add_argument("--out", help="folder for the files (default: $FORMS_HOME/documents)")
    p.add_argument("--format", default="docx,pdf", help="docx, pdf or docx,pdf (default)")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``youshiki2`` and ``youshiki3`` to the ``forms`` command."""
    y2 = subparsers.add_parser(
        "youshiki2", help="様式2 支援内容報告書 of a company (or --batch) for a period"
    )
    _company_options(y2)
    y2.add_argument("--batch", action="store_true", help="every company the agency supported in the period")
    y2.add_argument("--agency", required=True, choices=ISSUERS, help="the issuing agency")
    y2.add_argument("--from", dest="date_from", required=True, help="first day of the support period")
    y2.add_argument("--to", dest="date_to", required=True, help="last day of the support period")
    y2.add_argument("--navigator", help="担当ナビゲーター")
    _output_options(y2)
    y2.set_defaults(func=cmd_youshiki2)
    y3 = subparsers.add_parser("youshiki3", help="様式3 融資及び海外展開の状況報告: issue, batch, overdue")
    _company_options(y3)
    y3.add_argument("--agency", choices=ISSUERS, help="the issuing agency (--batch: only this one's)")
    y3.add_argument("--due", help="回答期日 (default: the rulebook's, R8: last day of the next month)")
    _output_options(y3)
    mode = y3.add_mutually_exclusive_group()
    mode.add_argument("--batch", action="store_true", help="one 様式3 per routed jetro/scb 様式1 without one")
    mode.add_argument("--overdue", action="store_true", help="list 様式3 past their 回答期日 and unanswered")
    y3.add_argument("--workers", type=int, default=0, help="--batch: processes (default: one per core)")
    y3.add_argument("--quiet", action="store_true", help="--batch: no progress bar")
    y3.add_argument("--json", action="store_true", help="--overdue: print JSON")
    y3.add_argument("--today", help="--overdue: the day to judge by (default: today, JST)")
    y3.set_defaults(func=cmd_youshiki3)
