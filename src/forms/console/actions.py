"""What a clerk does to one intake: preview corrections, commit them, route, reject, mark handled, retry.

Every action is a POST with the session's CSRF token, on an intake the clerk may see (another
agency's is "not found"), done by the Review service, which writes the event with the clerk's name.
Preview writes nothing: it shows the decision the corrections would give, with a button to commit
exactly those corrections. A refused action (e.g. routing a form that still fails a rule) is shown
on the intake page with the service's reason, nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from forms.console.auth import Clerk, Session
from forms.console.context import console_of, page, posted
from forms.console.views import FieldLine, field_lines, intake_context, viewed
from forms.errors import FormsError

FIELD_PREFIX = "f."
DONE = {
    "fix": "修正を保存しました。",
    "route": "支援機関へ転送しました（送信待ちに登録）。",
    "reject": "差戻しました（金融機関への通知を送信待ちに登録）。",
    "handled": "対応済みにしました。",
    "retry": "再処理の待ち行列に戻しました。",
}


def corrections_from(form: FormData, lines: list[FieldLine]) -> dict[str, str]:
    """The fields whose posted value differs from what is read or already corrected."""
    out: dict[str, str] = {}
    for line in lines:
        sent = form.get(FIELD_PREFIX + line.key)
        if isinstance(sent, str) and sent.strip() != line.value.strip():
            out[line.key] = sent.strip()
    return out


async def _acted(
    request: Request, session: Session, clerk: Clerk, action: str, call: Callable[[], object]
) -> Response:
    """Run ``call``; back to the intake page with a note of what was done, or of why it was refused."""
    intake_id = request.path_params["intake_id"]
    try:
        await run_in_threadpool(call)
    except (FormsError, ValueError) as exc:
        view = await viewed(request, intake_id)
        context = intake_context(console_of(request), view, error=f"実行できませんでした: {exc}")
        return page(request, "intake.html", context, session=session, clerk=clerk, status_code=409)
    return RedirectResponse(f"/intakes/{intake_id}?done={quote(DONE[action])}", status_code=303)


async def preview(request: Request) -> Response:
    session, clerk, form = await posted(request)
    console = console_of(request)
    view = await viewed(request, request.path_params["intake_id"])
    changes = corrections_from(form, field_lines(console, view))
    decision = await run_in_threadpool(
        console.review.corrections.preview, view.row.id, {**view.corrections, **changes}, scope=clerk.scope
    )
    context = intake_context(
        console, view, corrections=changes, preview=decision, preview_corrections=changes
    )
    return page(request, "intake.html", context, session=session, clerk=clerk)


async def fix(request: Request) -> Response:
    session, clerk, form = await posted(request)
    console = console_of(request)
    view = await viewed(request, request.path_params["intake_id"])
    changes = corrections_from(form, field_lines(console, view))
    if not changes:
        return RedirectResponse(
            f"/intakes/{view.row.id}?done={quote('修正はありませんでした。')}", status_code=303
        )
    return await _acted(
        request,
        session,
        clerk,
        "fix",
        lambda: console.review.corrections.fix(view.row.id, changes, actor=clerk.name, scope=clerk.scope),
    )


async def route(request: Request) -> Response:
    session, clerk, _ = await posted(request)
    view = await viewed(request, request.path_params["intake_id"])
    review = console_of(request).review
    return await _acted(
        request,
        session,
        clerk,
        "route",
        lambda: review.corrections.route(view.row.id, actor=clerk.name, scope=clerk.scope),
    )


async def reject(request: Request) -> Response:
    session, clerk, form = await posted(request)
    view = await viewed(request, request.path_params["intake_id"])
    review = console_of(request).review
    message = str(form.get("message", "")).strip() or None
    return await _acted(
        request,
        session,
        clerk,
        "reject",
        lambda: review.corrections.reject(view.row.id, actor=clerk.name, message=message, scope=clerk.scope),
    )


async def handled(request: Request) -> Response:
    session, clerk, form = await posted(request)
    view = await viewed(request, request.path_params["intake_id"])
    review = console_of(request).review
    note = str(form.get("note", "")).strip()
    return await _acted(
        request,
        session,
        clerk,
        "handled",
        lambda: review.corrections.mark_handled(view.row.id, actor=clerk.name, note=note, scope=clerk.scope),
    )


async def retry(request: Request) -> Response:
    session, clerk, _ = await posted(request)
    view = await viewed(request, request.path_params["intake_id"])
    review = console_of(request).review
    return await _acted(
        request,
        session,
        clerk,
        "retry",
        lambda: review.corrections.retry(view.row.id, actor=clerk.name, scope=clerk.scope),
    )
