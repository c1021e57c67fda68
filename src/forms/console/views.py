"""The pages a clerk reads: sign-in, the review queue, one intake (page image beside its fields).

The queue lists needs_review and rejected intakes, newest first, filtered by status, reason, bank,
agency and received date, searched by company or reference number; an agency-scoped clerk sees
only that agency's intakes (the filter's scope), and an intake of another agency is "not found".
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from forms.access.scope import Scope
from forms.console.auth import Session, check_csrf
from forms.console.context import Console, clerk_of, console_of, page, signed_in
from forms.errors import INFO_CODES, ReviewError
from forms.model import Decision
from forms.review import OPEN_STATUSES, IntakeView, QueueFilter
from forms.spec import AGENCY_FIELDS

log = logging.getLogger(__name__)
PAGE_SIZE = 50
_FILTERS = ("status", "reason", "agency", "bank", "since", "until", "search")


# -- sign-in ------------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never //host or a scheme) is followed after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/queue"
    return target


async def signin_form(request: Request) -> Response:
    console = console_of(request)
    session, clerk = await clerk_of(request)
    if clerk is not None:
        return RedirectResponse("/queue", status_code=303)
    session = session or Session.fresh()
    response = page(
        request,
        "signin.html",
        {"next": _safe_next(request.query_params.get("next")), "error": None, "name": ""},
        session=session,
        clerk=None,
    )
    console.sessions.write(request, response, session)
    return response


def client_ip(request: Request) -> str:
    """The client's address (a trusted proxy's X-Forwarded-For already applied, see ``auth``)."""
    return request.client.host if request.client else "-"


def _signin_page(
    request: Request, session: Session | None, form: dict[str, str], error: str, code: int
) -> Response:
    context = {"next": form["next"], "error": error, "name": form["name"]}
    return page(request, "signin.html", context, session=session, clerk=None, status_code=code)


async def signin(request: Request) -> Response:
    console = console_of(request)
    session = console.sessions.read(request)
    form = await request.form()
    if not check_csrf(session, form):
        raise HTTPException(
            403, "フォームの確認用トークンが無効です。サインインのページを開き直してください。"
        )
    name, password = str(form.get("name", "")).strip()[:200], str(form.get("password", ""))
    shown = {"next": _safe_next(str(form.get("next", ""))), "name": name}
    ip = client_ip(request)
    if not console.limiter.begin(ip):  # too many failures from this address, or from all together
        log.warning("sign-in from %s refused: too many failures", ip)
        error = "サインインの失敗が続いたため、しばらく受け付けません。5分ほど待ってから再度お試しください。"
        return _signin_page(request, session, shown, error, 429)
    clerk = await run_in_threadpool(console.accounts.authenticate, name, password)
    if clerk is None:
        await run_in_threadpool(console.accounts.sign_in_failed, name, ip)
        return _signin_page(request, session, shown, "アカウント名又はパスワードが違います。", 401)
    console.limiter.succeeded(ip)
    await run_in_threadpool(console.accounts.signed_in, clerk.name, ip)
    response = RedirectResponse(shown["next"], status_code=303)
    fresh = Session.fresh(clerk.name, clerk.session_version)  # a new token: no fixation
    console.sessions.write(request, response, fresh)
    return response


async def signout(request: Request) -> Response:
    """Sign-out ends every session of the account on the server (its session version is raised)."""
    console = console_of(request)
    session, clerk = await clerk_of(request)
    form = await request.form()
    if not check_csrf(session, form):
        raise HTTPException(403, "フォームの確認用トークンが無効です。")
    if clerk is not None:
        await run_in_threadpool(console.accounts.sign_out, clerk.name, client_ip(request))
    response = RedirectResponse("/signin", status_code=303)
    console.sessions.clear(request, response)
    return response


# -- the queue ----------------------------------------------------------------------------------


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def queue_filter(params: dict[str, str], scope: Scope) -> QueueFilter:
    """The queue's filter from the query string; unreadable dates are ignored (shown blank)."""
    text = {k: (params.get(k) or "").strip() or None for k in _FILTERS}
    return QueueFilter(
        status=text["status"],
        reason=text["reason"],
        agency=text["agency"],
        bank=text["bank"],
        since=_date(text["since"]),
        until=_date(text["until"]),
        search=text["search"],
        scope=scope.agencies,
    )


async def queue(request: Request) -> Response:
    session, clerk = await signed_in(request)
    console = console_of(request)
    params = dict(request.query_params)
    qf = queue_filter(params, clerk.scope)
    try:
        page_no = max(1, int(params.get("page", "1")))
    except ValueError:
        page_no = 1
    rows, total = await run_in_threadpool(
        console.review.queue.page, qf, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
    )
    kept = {k: v for k, v in params.items() if k in _FILTERS and v}
    pages = max(1, -(-total // PAGE_SIZE))
    context = {
        "rows": rows,
        "total": total,
        "filter": qf,
        "params": {k: params.get(k, "") for k in _FILTERS},
        "page_no": page_no,
        "pages": pages,
        "prev_url": f"/queue?{urlencode({**kept, 'page': page_no - 1})}" if page_no > 1 else None,
        "next_url": f"/queue?{urlencode({**kept, 'page': page_no + 1})}" if page_no < pages else None,
    }
    return page(request, "queue.html", context, session=session, clerk=clerk)


# -- one intake ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldLine:
    """One row of the intake page's field table, keyed by youshiki1.json key (what a correction names)."""

    key: str
    label: str
    kind: str  # the spec type (agency: choice)
    read: str  # as read: text, 'true'/'false' for a checkbox, the ticked agencies' names
    confidence: float | None
    value: str  # what the input shows: the correction, else what was read
    corrected: bool
    normalized: Any
    low: bool
    reasons: tuple[str, ...]
    choices: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()  # why the reading is (or is not) certain, in the clerk's words
    certain: bool | None = None  # None: not read by OCR
    region: tuple[int, float, float, float, float] | None = None  # (page, x0, y0, x1, y1) as page fractions


def _as_text(value: str | bool | None, kind: str) -> str:
    if kind == "checkbox":
        return "true" if value is True or (isinstance(value, str) and value.lower() == "true") else "false"
    return "" if value is None or isinstance(value, bool) else value


def _agency_read(view: IntakeView, choices: dict[str, str]) -> tuple[str, float | None]:
    """The agency as read: the ticked boxes' names (or the text a reader gave), the lowest confidence."""
    boxes = [(name, view.raw[name]) for name in AGENCY_FIELDS if name in view.raw]
    written, written_conf = view.raw.get("agency", ("", None))
    ticked = [choices[name.removeprefix("agency_")] for name, (v, _) in boxes if v is True]
    confidences = [c for _, (_, c) in boxes] + ([written_conf] if written_conf is not None else [])
    text = "・".join(ticked) or (written if isinstance(written, str) else "")
    return text, min(confidences) if confidences else None


def field_lines(
    console: Console, view: IntakeView, corrections: dict[str, str] | None = None
) -> list[FieldLine]:
    shown_corrections = {**view.corrections, **(corrections or {})}
    by_field: dict[str, list[str]] = {}
    for reason in view.decision.reasons:
        if reason.field:
            by_field.setdefault(reason.field, []).append(reason.message)
    lines = []
    for spec_field in console.spec.fields.values():
        key, kind = spec_field.key, spec_field.type
        if key == "agency":
            read, confidence = _agency_read(view, dict(spec_field.choices))
        else:
            read_value, confidence = view.raw.get(key, (None, None))
            read = _as_text(read_value, kind)
        lines.append(
            FieldLine(
                key=key,
                label=spec_field.label,
                kind=kind,
                read=read,
                confidence=confidence,
                value=shown_corrections.get(key, read),
                corrected=key in shown_corrections,
                normalized=view.fields.get(key),
                low=key in view.low_confidence,
                reasons=tuple(by_field.get(key, ())),
                choices=tuple(spec_field.choices.values()),
                **_why(console, view, key),
            )
        )
    return lines


def _why(console: Console, view: IntakeView, key: str) -> dict[str, Any]:
    """The certainty of an OCR-read field, its evidence in Japanese and where it was read."""
    known = view.certainty.get(key)
    if known is None:
        return {"region": view.regions.get(key)}
    words = tuple(console.rulebook.evidence_words(e) for e in known.evidence)
    return {"evidence": words, "certain": known.certain, "region": view.regions.get(key)}


async def viewed(request: Request, intake_id: int) -> IntakeView:
    """The intake as the clerk may see it; 404 when it does not exist or is another agency's."""
    _, clerk = await signed_in(request)
    view = await run_in_threadpool(console_of(request).review.queue.view, intake_id, scope=clerk.scope)
    if view is None:
        raise HTTPException(404, "この申込みは見つかりません（又は閲覧の権限がありません）。")
    return view


def intake_context(console: Console, view: IntakeView, **extra: Any) -> dict[str, Any]:
    decision_json = view.row.decision or {}
    return {
        "view": view,
        "row": view.row,
        "decision": view.decision,
        "is_open": view.row.status in OPEN_STATUSES and view.handled_at is None,
        "lines": field_lines(console, view, extra.pop("corrections", None)),
        "preview": None,
        "preview_saved": False,
        "preview_corrections": {},
        "rejection_text": "\n".join(r.message for r in view.decision.reasons if r.code not in INFO_CODES),
        "attachment": decision_json.get("attachment"),
        "message": None,
        "error": None,
        **extra,
    }


def saved_preview(console: Console, view: IntakeView) -> Decision | None:
    """The decision the stored corrections give, for an open intake that has some (nothing written)."""
    if not view.corrections or view.row.status not in OPEN_STATUSES or view.handled_at is not None:
        return None
    try:
        return console.review.corrections.preview(view.row.id, {})
    except ReviewError:
        return None


async def intake(request: Request) -> Response:
    session, clerk = await signed_in(request)
    console = console_of(request)
    view = await viewed(request, request.path_params["intake_id"])
    decided = await run_in_threadpool(saved_preview, console, view)
    context = intake_context(
        console, view, message=request.query_params.get("done"), preview=decided, preview_saved=True
    )
    return page(request, "intake.html", context, session=session, clerk=clerk)


async def page_png(request: Request) -> Response:
    view = await viewed(request, request.path_params["intake_id"])
    number = request.path_params["page"]
    if not 1 <= number <= max(view.pages, 1):
        raise HTTPException(404, "そのページはありません。")
    png = await run_in_threadpool(console_of(request).review.queue.page_png, view.row.id, number)
    if png is None:
        raise HTTPException(404, "ページの画像を作れませんでした。")
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})
