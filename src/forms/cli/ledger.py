"""The ledger commands of ``forms``: record support and loans, import agencies' spreadsheets, show a ledger.

    forms support add --agency jetro --company 4010001234567 --date 2026-06-10 \\
        --service 海外ミニ調査サービス --cost 300000 [--tax 30000] [--summary TEXT]
    forms support import FILE.csv|FILE.xlsx [--progress]
    forms loan add --company 4010001234567 --date 2026-07-01 --amount 50000000 [--menu TEXT]
    forms ledger 4010001234567 | --company N | --name 見本商店 --postal-code 144-0052 [--json]

A company is its 法人番号 (``--company``), or for a 個人事業者 its name and postal code. Amounts are
plain integer yen excluding consumption tax (``--tax`` is the tax). A bad value is reported in
Japanese with the option it concerns, exit code 1, and nothing is written; an import writes every row
or (any bad row) none. The cap per frame and the capped agencies come from the newest rulebook.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from forms.cli.tables import table
from forms.config import Settings
from forms.files import private_dir
from forms.ledger import CompanyKey, CompanyLedger, LoanRecord, SupportRecord
from forms.ledger.naming import company_key
from forms.ledger.sheet import Sheet, plain_yen, problem_text, read_sheet, shown
from forms.ledger.supports_import import parse_supports
from forms.normalize import nfkc_text, parse_date

if TYPE_CHECKING:
    from forms.rules.schema import Rulebook
    from forms.store.ledger import StoreLedger

#: The option that carries each company column (messages name the option as typed).
_COMPANY_OPTIONS = {"corporate_number": "--company", "company_name": "--name", "postal_code": "--postal-code"}
_AMOUNT = "金額（円、整数。カンマや単位は付けない）"
_DATE = "日付（2026-06-10 又は 令和8年6月10日）"


# ── what the commands share ───────────────────────────────────────────────────────────────────
def newest_rulebook(settings: Settings) -> Rulebook:
    """The rulebook whose cap and capped agencies the ledger uses: the newest one."""
    from forms.rules.loader import load_rulebooks

    return load_rulebooks(settings.rulebook_dir).newest


@contextmanager
def open_ledger(settings: Settings, book: Rulebook) -> Iterator[StoreLedger]:
    """The store under FORMS_HOME (created when missing) as a ledger; closed on leaving."""
    from forms.store import Store
    from forms.store.ledger import StoreLedger

    private_dir(settings.home)
    with Store.open(settings.store_url) as store:
        yield StoreLedger.for_rulebook(store, book)


def _refuse(problems: Sequence[str]) -> int:
    for line in problems:
        print(f"forms: {line}", file=sys.stderr)
    print("forms: 誤りがあるため、何も記録しませんでした。", file=sys.stderr)
    return 1


def _option_problem(option: str, message: str) -> str:
    return f"「{option}」: {message}"


def _company(args: argparse.Namespace) -> CompanyKey | list[str]:
    """The company the options name, or what is wrong with them."""
    number = args.company or ""
    if getattr(args, "company_arg", None):
        if number:
            return [_option_problem("--company", "法人番号は1つだけ指定してください")]
        number = args.company_arg
    if number and (args.name or args.postal_code):
        return [_option_problem("--company", "--company と --name/--postal-code は同時に指定できません")]
    found = company_key(number, args.name or "", args.postal_code or "")
    if isinstance(found, CompanyKey):
        return found
    return [_option_problem(_COMPANY_OPTIONS[p.field or ""], str(p.param("message"))) for p in found]


def _yen_option(option: str, text: str | None, problems: list[str]) -> int | None:
    """Plain integer yen from an option (absent: 0); None, with a problem, when it is not one."""
    if text is None:
        return 0
    value = plain_yen(text)
    if value is None:
        problems.append(_option_problem(option, f"{_AMOUNT}として読めません（{shown(text)}）"))
    return value


def _date_option(option: str, text: str, problems: list[str]) -> dt.date | None:
    day = parse_date(text)
    if day is None:
        problems.append(_option_problem(option, f"{_DATE}として読めません（{shown(text)}）"))
    return day


def _yen(n: int) -> str:
    return f"{n:,}円"


def _figures(ledger: CompanyLedger) -> str:
    return (
        f"上限額 {_yen(ledger.cap)}／利用済額 {_yen(ledger.used)}／"
        f"利用可能残額 {_yen(ledger.remaining)}／枠数 {ledger.frames}"
    )


def _company_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--company", help="法人番号 (13 digits)")
    p.add_argument("--name", help="個人事業者: company name (屋号), with --postal-code")
    p.add_argument("--postal-code", dest="postal_code", help="個人事業者: postal code of the company")


# ── support add ───────────────────────────────────────────────────────────────────────────────
def cmd_support_add(args: argparse.Namespace, settings: Settings) -> int:
    book = newest_rulebook(settings)
    company = _company(args)
    problems = [] if isinstance(company, CompanyKey) else list(company)
    agency = nfkc_text(args.agency).lower()
    if agency not in book.agencies.values:
        known = "、".join(book.agencies.values)
        problems.append(_option_problem("--agency", f"{known} のいずれかです（{shown(args.agency)}）"))
    day = _date_option("--date", args.date, problems)
    service = args.service.strip()
    if not service:
        problems.append(_option_problem("--service", "支援内容を入力してください"))
    cost = _yen_option("--cost", args.cost, problems)
    tax = _yen_option("--tax", args.tax, problems)
    if problems or not isinstance(company, CompanyKey) or day is None or cost is None or tax is None:
        return _refuse(problems)
    record = SupportRecord(agency, day, service, cost, tax, (args.summary or "").strip())
    with open_ledger(settings, book) as ledger:
        ledger.add_support(company, record, actor="cli")
        after = ledger.company(company)
    print(f"支援を記録しました: {company} {day} {book.short_names()[agency]} {service} {_yen(cost)}")
    print(_figures(after))
    if agency in book.capped_agencies and after.remaining < 0:
        print("forms: 注意: 支援利用上限を超えています。", file=sys.stderr)
    return 0


# ── support import ────────────────────────────────────────────────────────────────────────────
def cmd_support_import(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"forms: {path}: ファイルを読めません（{exc.strerror}）", file=sys.stderr)
        return 2
    book = newest_rulebook(settings)
    sheet = read_sheet(data)
    if not isinstance(sheet, Sheet):
        return _refuse([problem_text(sheet)])
    show = bool(args.progress) or sys.stderr.isatty()
    with tqdm(total=len(sheet.rows), desc="取込", unit="行", file=sys.stderr, disable=not show) as bar:
        found = parse_supports(sheet, book.short_names(), on_row=bar.update)
    if found.problems:
        return _refuse([f"{path.name} {problem_text(p)}" for p in found.problems])
    with open_ledger(settings, book) as ledger:
        count = ledger.add_supports(list(found.supports), actor="cli")
    companies = len({key for key, _ in found.supports})
    print(f"{path.name}: {count}件の支援を取り込みました（{companies}社）。")
    return 0


# ── loan add ──────────────────────────────────────────────────────────────────────────────────
def cmd_loan_add(args: argparse.Namespace, settings: Settings) -> int:
    book = newest_rulebook(settings)
    company = _company(args)
    problems = [] if isinstance(company, CompanyKey) else list(company)
    day = _date_option("--date", args.date, problems)
    amount = _yen_option("--amount", args.amount, problems)
    if problems or not isinstance(company, CompanyKey) or day is None or amount is None:
        return _refuse(problems)
    with open_ledger(settings, book) as ledger:
        ledger.add_loan(company, LoanRecord(day, amount, (args.menu or "").strip()), actor="cli")
        after = ledger.company(company)
    print(f"融資の実行を記録しました: {company} {day} {_yen(amount)}")
    print(_figures(after))
    return 0


# ── ledger ────────────────────────────────────────────────────────────────────────────────────


def ledger_text(company: CompanyKey, ledger: CompanyLedger, names: dict[str, str]) -> str:
    """The ledger of one company as the Japanese tables an operator reads."""
    lines = [f"企業: {company}", "", "■ 支援"]
    supports = sorted(ledger.supports, key=lambda s: s.date)
    rows = [
        [s.date.isoformat(), names.get(s.agency, s.agency), s.service, _yen(s.cost_excl_tax), _yen(s.tax)]
        for s in supports
    ]
    lines += table(["支援日", "支援機関", "支援内容", "経費（税抜）", "消費税"], rows, frozenset({3, 4}))
    capped = "・".join(names.get(a, a) for a in sorted(ledger.capped_agencies))
    lines += ["", f"■ 上限（{capped}の合計、消費税相当分を除く）"]
    figures = [[_yen(ledger.cap), _yen(ledger.used), _yen(ledger.remaining), str(ledger.frames)]]
    lines += table(["上限額", "利用済額", "利用可能残額", "枠数"], figures, frozenset({0, 1, 2, 3}))
    loans = [[r.date.isoformat(), _yen(r.amount), r.menu] for r in sorted(ledger.loans, key=lambda r: r.date)]
    lines += ["", "■ 融資（資金交付）"]
    lines += table(["融資実行日", "融資額", "メニュー"], loans, frozenset({1}))
    return "\n".join(lines)


def cmd_ledger(args: argparse.Namespace, settings: Settings) -> int:
    company = _company(args)
    if not isinstance(company, CompanyKey):
        print("\n".join(f"forms: {line}" for line in company), file=sys.stderr)
        return 1
    book = newest_rulebook(settings)
    with open_ledger(settings, book) as ledger:
        found = ledger.company(company)
    if args.json:
        print(json.dumps({"company": str(company), **found.to_json()}, ensure_ascii=False))
    else:
        print(ledger_text(company, found, book.short_names()))
    return 0


# ── the parsers ───────────────────────────────────────────────────────────────────────────────
def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``support add|import``, ``loan add`` and ``ledger`` to the ``forms`` command."""
    support = subparsers.add_parser("support", help="record support given to a company")
    support_sub = support.add_subparsers(dest="support_command", required=True)
    add = support_sub.add_parser("add", help="record one support (a row of 様式2)")
    add.add_argument("--agency", required=True, help="jetro, scb, kosha or smrj")
    _company_options(add)
    add.add_argument("--date", required=True, help="support date: 2026-06-10 or 令和8年6月10日")
    add.add_argument("--service", required=True, help="支援内容, e.g. 海外ミニ調査サービス")
    add.add_argument("--cost", required=True, help="cost excluding consumption tax, integer yen")
    add.add_argument("--tax", help="consumption tax, integer yen (default 0)")
    add.add_argument("--summary", help="概要")
    add.set_defaults(func=cmd_support_add)
    imp = support_sub.add_parser("import", help="import supports from an agency's CSV or .xlsx (all or none)")
    imp.add_argument("file", help="CSV (UTF-8 or CP932) or .xlsx with a header row")
    imp.add_argument(
        "--progress", action="store_true", help="show a progress bar even when not on a terminal"
    )
    imp.set_defaults(func=cmd_support_import)
    loan = subparsers.add_parser("loan", help="record loan disbursements under the Tokyo scheme")
    loan_add = loan.add_subparsers(dest="loan_command", required=True).add_parser(
        "add", help="record one disbursement (資金交付)"
    )
    _company_options(loan_add)
    loan_add.add_argument("--date", required=True, help="disbursement date: 2026-07-01 or 令和8年7月1日")
    loan_add.add_argument("--amount", required=True, help="amount disbursed, integer yen")
    loan_add.add_argument("--menu", help="loan menu (融資メニュー)")
    loan_add.set_defaults(func=cmd_loan_add)
    show = subparsers.add_parser("ledger", help="show a company's supports, cap, remaining amount and loans")
    show.add_argument("company_arg", nargs="?", metavar="COMPANY", help="法人番号 (same as --company)")
    _company_options(show)
    show.add_argument("--json", action="store_true", help="print the ledger as JSON (cap, used, remaining …)")
    show.set_defaults(func=cmd_ledger)
