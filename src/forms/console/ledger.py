"""The ledger page of one company and the documents issued from it: 様式2 and 様式3 as PDF.

A company is found by its 法人番号, or (個人事業者) its name and postal code, or from an intake
(its 様式1 names the company and the bank). The page shows the support history, the cap, what is
used and what remains, the loans; 様式2 is issued for jetro or scb over a period, 様式3 from a
routed intake: recorded as issued with its reference number (``DocumentPost``), mailed or handed to
the clerk as a PDF, so a bank's answer quoting the number is matched to it. The page also holds the
form of the 様式2 batch for a period (``forms.console.bulk``). An agency-scoped clerk sees a company
only as ``forms.review.companies`` allows (a company no agency of theirs has dealt with is "not
found"; other agencies' rows are not listed) and issues documents only as their agency. Each issue is
an event with the clerk's name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from forms.console.auth import Clerk
from forms.console.context import Console, console_of, page, posted, signed_in
from forms.console.views import viewed
from forms.documents import BankInfo, CompanyInfo
from forms.documents.batch import FORMATS, file_name, render
from forms.documents.sending import DocumentPost, Issued
from forms.documents.youshiki2 import supports_for_report, youshiki2_data
from forms.errors import DocumentError, FormsError
from forms.jp.wareki import today_in_japan
from forms.ledger import CompanyKey
from forms.ledger.naming import company_key
from forms.review import CompanyView
from forms.spec import ISSUERS
from forms.store.youshiki3 import RoutedForm


def issuers_for(clerk: Clerk) -> list[str]:
    """The agencies this clerk may issue 様式2/様式3 as."""
    return sorted(clerk.scope.within(ISSUERS))


def _key_from(params: Any) -> CompanyKey | list[str]:
    found = company_key(
        str(params.get("company", "")), str(params.get("name", "")), str(params.get("postal_code", ""))
    )
    return found if isinstance(found, CompanyKey) else [str(p.param("message")) for p in found]


async def _from_intake(request: Request, text: str) -> tuple[CompanyKey | None, dict[str, Any], int | None]:
    """The company of an intake's 様式1 and its fields (404 if the clerk may not see it)."""
    if not text.isdigit():
        return None, {}, None
    view = await viewed(request, int(text))
    fields = dict(view.decision.fields)
    return CompanyKey.from_fields(fields), fields, view.row.id


async def _company(request: Request, clerk: Clerk, key: CompanyKey, from_intake: bool) -> CompanyView:
    """The company as the clerk may see it; 404 when no agency of theirs has dealt with it."""
    view = await run_in_threadpool(
        console_of(request).review.companies.view, key, clerk.scope, from_intake=from_intake
    )
    if view is None:
        raise HTTPException(404, "この企業の台帳は見つかりません（又は閲覧の権限がありません）。")
    return view


async def ledger(request: Request) -> Response:
    session, clerk = await signed_in(request)
    params = request.query_params
    key, fields, intake_id = await _from_intake(request, params.get("intake", ""))
    errors: list[str] = []
    if key is None and any(params.get(k) for k in ("company", "name", "postal_code")):
        found = _key_from(params)
        key, errors = (found, []) if isinstance(found, CompanyKey) else (None, found)
    view = await _company(request, clerk, key, intake_id is not None) if key is not None else None
    today = today_in_japan()
    first = min((s.date for s in view.supports), default=today) if view else today
    context = {
        "key": key,
        "view": view,
        "company": view.ledger if view else None,
        "errors": errors,
        "params": {k: params.get(k, "") for k in ("company", "name", "postal_code")},
        "company_name": str(fields.get("company_name", "") or params.get("name", "")),
        "intake_id": intake_id,
        "issuers": issuers_for(clerk),
        "period_from": first.isoformat(),
        "period_to": today.isoformat(),
        "supports": view.supports if view else [],
        "loans": view.loans if view else [],
        "done": request.query_params.get("done"),
        "batch_period": [d.isoformat() for d in batch_period(today)],
    }
    return page(request, "ledger.html", context, session=session, clerk=clerk)


def batch_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The period the 様式2 batch form offers first: the month before ``today``."""
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def _pdf(console: Console, data: Any) -> bytes:
    return render(data, "pdf", font_dir=console.settings.home / "fonts")


def _attachment(pdf: bytes, name: str) -> Response:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


def posted_day(text: Any, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError as exc:
        raise HTTPException(400, f"{what}の日付を読めません（{text}）。") from exc


async def youshiki2(request: Request) -> Response:
    _, clerk, form = await posted(request)
    console = console_of(request)
    agency = str(form.get("agency", ""))
    if agency not in issuers_for(clerk):
        raise HTTPException(403, "この支援機関の様式2は発行できません。")
    key, fields, intake_id = await _from_intake(request, str(form.get("intake", "")))
    if key is None:
        found = _key_from(form)
        if not isinstance(found, CompanyKey):
            raise HTTPException(400, "企業を特定できません: " + "、".join(found))
        key = found
    shown = await _company(request, clerk, key, intake_id is not None)
    company_ledger = shown.ledger
    if company_ledger is None:
        raise HTTPException(403, "この支援機関の様式2は発行できません。")
    period = (
        posted_day(form.get("period_from"), "支援期間の開始"),
        posted_day(form.get("period_to"), "支援期間の終了"),
    )
    if form.get("send") == "1":
        routed = RoutedForm(intake_id, agency, fields, None) if fields and intake_id else None
        mailed = await _mail_youshiki2(console.post, key, agency, period, routed, form, clerk.name)
        back = (
            f"intake={intake_id}"
            if intake_id
            else urlencode({k: form.get(k, "") for k in ("company", "name", "postal_code")})
        )
        return RedirectResponse(f"/ledger?{back}&{urlencode({'done': mailed})}", status_code=303)
    info = (
        CompanyInfo.from_fields(fields)
        if fields
        else CompanyInfo(
            name=str(form.get("company_name", "")).strip(), corporate_number=key.corporate_number or ""
        )
    )
    try:
        data = youshiki2_data(
            company=info,
            bank=BankInfo.from_fields(fields) if fields else None,
            agency=agency,
            rulebook=console.rulebook,
            ledger=company_ledger,
            supports=supports_for_report(company_ledger, agency, period),
            period=period,
            issued_on=today_in_japan(),
            navigator=str(form.get("navigator", "")).strip(),
        )
        pdf = await run_in_threadpool(_pdf, console, data)
    except (FormsError, ValueError) as exc:
        raise HTTPException(400, f"様式2を作成できませんでした: {exc}") from exc
    detail = {"company": str(key), "agency": agency, "period": [d.isoformat() for d in period]}
    handed_out = console.documents.handed_out
    await run_in_threadpool(
        handed_out, "youshiki2_issued", intake_id=intake_id, actor=clerk.name, detail=detail
    )
    return _attachment(pdf, file_name(data, "pdf"))


def queued_text(issued: Issued) -> str:
    """What the page says after a document was issued and its mail queued."""
    what = "様式2" if issued.kind == "youshiki2" else "様式3"
    to = "、".join(issued.recipients)
    return f"{what}（照会番号 {issued.reference}）を発行し、{to} あての送信キューに入れました。"


async def _mail_youshiki2(
    post: DocumentPost,
    key: CompanyKey,
    agency: str,
    period: tuple[dt.date, dt.date],
    routed: RoutedForm | None,
    form: Any,
    actor: str,
) -> str:
    """Issue the 様式2 and queue its mail; what the ledger page then says (Japanese)."""
    found = routed or await run_in_threadpool(post.routed_form, key, agency)
    name = str(form.get("company_name", "")).strip()
    try:
        issued = await run_in_threadpool(
            lambda: post.youshiki2(
                key,
                agency=agency,
                period=period,
                issued_on=today_in_japan(),
                form=found,
                company=CompanyInfo(name=name, corporate_number=key.corporate_number or "") if name else None,
                navigator=str(form.get("navigator", "")).strip(),
                send=True,
                to=str(form.get("mail_to", "")).strip() or None,
                actor=actor,
            )
        )
    except (DocumentError, ValueError) as exc:
        raise HTTPException(400, f"様式2を送付できませんでした: {exc}") from exc
    return queued_text(issued)


async def youshiki3(request: Request) -> Response:
    """様式3 of a routed intake, recorded as issued with its reference number (so the bank's answer is
    matched by it): mailed to the bank officer (``send``), else handed to the clerk as a PDF."""
    _, clerk, form = await posted(request)
    console = console_of(request)
    view = await viewed(request, request.path_params["intake_id"])
    agency = view.decision.agency or ""
    if view.decision.status != "routed" or agency not in issuers_for(clerk):
        raise HTTPException(409, "様式3は、ジェトロ又は信金中金へ転送した申込みについてのみ発行できます。")
    send = form.get("send") == "1"
    routed = RoutedForm(view.row.id, agency, dict(view.decision.fields), None)
    formats = FORMATS if send else ("pdf",)
    try:
        issued = await run_in_threadpool(
            lambda: console.post.youshiki3(
                routed, issued_on=today_in_japan(), send=send, formats=formats, actor=clerk.name
            )
        )
    except (FormsError, ValueError) as exc:
        raise HTTPException(400, f"様式3を{'送付' if send else '作成'}できませんでした: {exc}") from exc
    if send:
        done = urlencode({"done": queued_text(issued)})
        return RedirectResponse(f"/intakes/{view.row.id}?{done}", status_code=303)
    pdf = next(p for p in issued.files if p.suffix == ".pdf")
    return _attachment(await run_in_threadpool(pdf.read_bytes), pdf.name)
