"""``forms export``: the agencies' formats.

    forms export submissions --agency jetro --from 2026-06-01 --to 2026-06-30 [--format xlsx|csv] [--out FILE]
    forms export ledger 4010001234567 [--out FILE]          (or --name … --postal-code … for a 個人事業者)

Submissions: those routed to the agency and received in the period (days in Japan), one row per intake
with the reference number, the dates, the contact deadline's status and every normalised 様式1 field.
CSV is UTF-8 with a BOM (Excel opens it); a text cell that looks like a formula is neutralised. Files go
to ``--out`` (default ``$FORMS_HOME/exports/…``).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from forms.config import Settings
from forms.errors import UsageError
from forms.jp.wareki import today_in_japan
from forms.ledger import CompanyKey
from forms.ledger.naming import company_key
from forms.normalize import parse_date
from forms.spec import AGENCIES


def _day(option: str, text: str) -> dt.date:
    day = parse_date(text)
    if day is None:
        raise UsageError(f"「{option}」: 日付（2026-06-01 又は 令和8年6月1日）として読めません（{text}）")
    return day


def _write(path: Path, content: bytes) -> None:
    from forms.documents.batch import write_atomically  # start-up: the documents stack only when writing

    write_atomically(path, content)
    print(f"{path}（{len(content):,} バイト）")


def cmd_submissions(args: argparse.Namespace, settings: Settings) -> int:
    from forms.export.files import to_csv, to_xlsx
    from forms.export.sheets import submissions_table
    from forms.review import Review
    from forms.store import Store

    period = (_day("--from", args.date_from), _day("--to", args.date_to))
    if period[1] < period[0]:
        raise UsageError("「--to」: 期間の終わりが始まりより前です")
    settings.home.mkdir(parents=True, exist_ok=True)
    with Store.open(settings.store_url) as store:
        review = Review(store, settings)
        try:
            subs, _ = review.submissions.page(
                args.agency, since=period[0], until=period[1], today=today_in_japan()
            )
            names = review.desk.rulebooks.newest.short_names()
            title, header, rows = submissions_table(subs, review.desk.spec, names)
        finally:
            review.close()
    content = to_csv(header, rows) if args.format == "csv" else to_xlsx([(title, header, rows)])
    name = f"submissions-{args.agency}-{period[0]:%Y%m%d}-{period[1]:%Y%m%d}.{args.format}"
    _write(Path(args.out) if args.out else settings.home / "exports" / name, content)
    return 0


def cmd_ledger(args: argparse.Namespace, settings: Settings) -> int:
    from forms.access.scope import Scope
    from forms.export.files import to_xlsx
    from forms.export.sheets import ledger_tables
    from forms.review import Review
    from forms.store import Store

    found = company_key(args.company or "", args.name or "", args.postal_code or "")
    if not isinstance(found, CompanyKey):
        raise UsageError("; ".join(str(p.param("message")) for p in found))
    settings.home.mkdir(parents=True, exist_ok=True)
    with Store.open(settings.store_url) as store:
        review = Review(store, settings)
        try:
            view = review.companies.view(found, Scope.every())  # the operator's command: the whole ledger
            names = review.desk.rulebooks.newest.short_names()
        finally:
            review.close()
    assert view is not None  # the whole scope sees every company
    tables = ledger_tables(view, args.name or "", names)
    ident = found.corporate_number or "company"
    _write(
        Path(args.out) if args.out else settings.home / "exports" / f"ledger-{ident}.xlsx", to_xlsx(tables)
    )
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = subparsers.add_parser(
        "export", help="routed submissions (.xlsx/CSV) or a company's ledger (.xlsx)"
    )
    sub = export.add_subparsers(dest="export_command", required=True)
    subs = sub.add_parser("submissions", help="the submissions routed to an agency in a period")
    subs.add_argument("--agency", required=True, choices=AGENCIES)
    subs.add_argument("--from", dest="date_from", required=True, help="first day received (2026-06-01)")
    subs.add_argument("--to", dest="date_to", required=True, help="last day received (2026-06-30)")
    subs.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    subs.add_argument("--out", help="the file to write (default: $FORMS_HOME/exports/…)")
    subs.set_defaults(func=cmd_submissions)
    led = sub.add_parser("ledger", help="a company's ledger: cap, supports, loans")
    led.add_argument("company", nargs="?", help="法人番号")
    led.add_argument("--name", help="個人事業者: company name (屋号), with --postal-code")
    led.add_argument("--postal-code", dest="postal_code")
    led.add_argument("--out", help="the file to write (default: $FORMS_HOME/exports/ledger-N.xlsx)")
    led.set_defaults(func=cmd_ledger)
