"""The exports page: an agency's routed submissions for a period as .xlsx or CSV, and a company's ledger
as .xlsx. A clerk scoped to an agency exports only that agency's submissions, and a ledger as the
ledger page shows it to them (``forms.access.scope``, ``forms.review.companies``)."""

from __future__ import annotations

import datetime as dt

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from forms.console.context import console_of, page, signed_in
from forms.export.files import to_csv, to_xlsx
from forms.export.sheets import ledger_tables, submissions_table
from forms.jp.wareki import today_in_japan
from forms.ledger import CompanyKey
from forms.ledger.naming import company_key

_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _exportable(request: Request) -> list[str]:
    """The agencies whose submissions come through banks (jetro, scb, kosha)."""
    book = console_of(request).rulebook
    return [k for k, a in book.agencies.values.items() if a.takes_bank_applications]


def _download(content: bytes, name: str, fmt: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(content, media_type=_TYPES[fmt], headers=headers)


async def exports(request: Request) -> Response:
    session, clerk = await signed_in(request)
    today = today_in_japan()
    context = {
        "agencies": clerk.scope.within(_exportable(request)),
        "date_from": today.replace(day=1).isoformat(),
        "date_to": today.isoformat(),
    }
    return page(request, "exports.html", context, session=session, clerk=clerk)


def _period(params: dict[str, str]) -> tuple[dt.date, dt.date]:
    try:
        start, end = dt.date.fromisoformat(params["from"]), dt.date.fromisoformat(params["to"])
    except (KeyError, ValueError) as exc:
        raise HTTPException(400, "期間の日付を読めません。") from exc
    if end < start:
        raise HTTPException(400, "期間の終わりが始まりより前です。")
    return start, end


async def submissions(request: Request) -> Response:
    _, clerk = await signed_in(request)
    console = console_of(request)
    params = dict(request.query_params)
    agency, fmt = params.get("agency", ""), params.get("format", "xlsx")
    if agency not in clerk.scope.within(_exportable(request)):
        raise HTTPException(403, "この支援機関の申込みは出力できません。")
    if fmt not in _TYPES:
        raise HTTPException(400, "形式は xlsx 又は csv です。")
    start, end = _period(params)
    found, _ = await run_in_threadpool(
        console.review.submissions.page, agency, since=start, until=end, today=today_in_japan()
    )
    title, header, rows = submissions_table(found, console.spec, console.agency_names())
    content = to_csv(header, rows) if fmt == "csv" else to_xlsx([(title, header, rows)])
    return _download(content, f"submissions-{agency}-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}", fmt)


async def ledger_xlsx(request: Request) -> Response:
    """The ledger as the ledger page shows it to this clerk (``review.companies``: their scope's rows)."""
    _, clerk = await signed_in(request)
    console = console_of(request)
    params = request.query_params
    found = company_key(params.get("company", ""), params.get("name", ""), params.get("postal_code", ""))
    if not isinstance(found, CompanyKey):
        raise HTTPException(400, "企業を特定できません。")
    view = await run_in_threadpool(console.review.companies.view, found, clerk.scope)
    if view is None:
        raise HTTPException(404, "この企業の台帳は見つかりません（又は閲覧の権限がありません）。")
    tables = ledger_tables(view, params.get("name", ""), console.agency_names())
    return _download(to_xlsx(tables), f"ledger-{found.corporate_number or 'company'}.xlsx", "xlsx")
