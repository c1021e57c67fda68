"""The operations pages: bulk reprocessing with progress, the job page of every kind of job,
contact and 様式3 deadlines, the outbox.

Bulk reprocessing (admins) runs as a job: a dry run first, whose page shows which decisions would
change and offers to apply exactly those intakes; the job page shows progress (a plain refresh
without JavaScript, a live bar with it). The outbox lists messages by state, marking those that may
have been delivered already; dead letters are requeued one, several (ticked) or all at once.
Deadlines list the contacts due within the 7 business days and the 様式3 answers due.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from forms.console.context import console_of, page, posted, signed_in
from forms.console.jobs import Job
from forms.console.ledger import issuers_for
from forms.errors import FormsError
from forms.jp.wareki import today_in_japan
from forms.review import QueueFilter

MAX_REPROCESS = 100_000
_IDS = re.compile(r"\d+")


# -- bulk reprocessing --------------------------------------------------------------------------


async def reprocess_form(request: Request) -> Response:
    session, clerk = await signed_in(request, admin=True)
    context = {"error": None, "ids": "", "status": "needs_review"}
    return page(request, "reprocess.html", context, session=session, clerk=clerk)


def _chosen_ids(review_queue: Callable[..., tuple[list, int]], ids_text: str, status: str) -> list[int]:
    """The intakes to reprocess: the ids typed, else every intake of the chosen status."""
    typed = [int(n) for n in _IDS.findall(ids_text)]
    if typed:
        return sorted(set(typed))
    rows, _ = review_queue(QueueFilter(status=status or None), limit=MAX_REPROCESS, offset=0)
    return sorted(r.id for r in rows)


async def reprocess(request: Request) -> Response:
    session, clerk, form = await posted(request, admin=True)
    console = console_of(request)
    apply = form.get("apply") == "1"
    ids_text, status = str(form.get("ids", "")), str(form.get("status", ""))
    ids = await run_in_threadpool(_chosen_ids, console.review.queue.page, ids_text, status)
    if not ids:
        context = {"error": "対象の申込みがありません。", "ids": ids_text, "status": status}
        return page(request, "reprocess.html", context, session=session, clerk=clerk, status_code=400)
    review = console.review

    def operation(progress: Callable[[int, int], None]) -> list[tuple[int, str, str]]:
        return review.reprocess.run(ids, apply=apply, actor=clerk.name, progress=progress)

    title = "一括再処理（反映）" if apply else "一括再処理（試行）"
    params = {"kind": "reprocess", "ids": ids, "apply": apply}
    job = console.jobs.start(clerk.name, title, operation, params)
    job.total = len(ids)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def _own_job(request: Request, owner: str, is_admin: bool) -> Job:
    job = console_of(request).jobs.get(request.path_params["job_id"])
    if job is None or (job.owner != owner and not is_admin):
        raise HTTPException(404, "この処理は見つかりません。")
    return job


def changes_of(result: Sequence[tuple[int, str, str]] | None) -> tuple[list[tuple[int, str, str]], int]:
    """The intakes whose decision changes, and how many stay as they were."""
    rows = list(result or [])
    changed = [r for r in rows if r[1] != r[2]]
    return changed, len(rows) - len(changed)


async def job_page(request: Request) -> Response:
    session, clerk = await signed_in(request)
    job = _own_job(request, clerk.name, clerk.is_admin)
    kind = str(job.params.get("kind", "reprocess"))
    context: dict[str, Any] = {"job": job, "kind": kind, "result": job.result if job.finished else None}
    if kind == "reprocess":
        context["changed"], context["unchanged"] = changes_of(context["result"])
    return page(request, "job.html", context, session=session, clerk=clerk)


async def job_json(request: Request) -> Response:
    _, clerk = await signed_in(request)
    job = _own_job(request, clerk.name, clerk.is_admin)
    return JSONResponse(job.to_json(), headers={"Cache-Control": "no-store"})


# -- deadlines ----------------------------------------------------------------------------------


async def deadlines(request: Request) -> Response:
    session, clerk = await signed_in(request)
    console = console_of(request)
    today = today_in_japan()
    rows = await run_in_threadpool(console.review.queue.deadlines, today, scope=clerk.scope)
    answers = [
        a for a in await run_in_threadpool(console.documents.unanswered) if clerk.scope.allows(a.agency)
    ]
    context = {
        "rows": rows,
        "answers": answers,
        "today": today,
        "issuers": issuers_for(clerk),
        "done": request.query_params.get("done"),
    }
    return page(request, "deadlines.html", context, session=session, clerk=clerk)


async def contacted(request: Request) -> Response:
    """Agency staff mark a routed submission contacted (rule 11): it leaves the list and the digest."""
    _, clerk, _ = await posted(request)
    intake_id = request.path_params["intake_id"]
    contacts = console_of(request).review.contacts
    try:
        await run_in_threadpool(lambda: contacts.mark(str(intake_id), actor=clerk.name, scope=clerk.scope))
    except FormsError as exc:
        raise HTTPException(409, f"連絡済みにできませんでした: {exc}") from exc
    return RedirectResponse(f"/deadlines?done={intake_id}", status_code=303)


# -- the outbox ---------------------------------------------------------------------------------

OUTBOX_STATES = ("dead", "bounced", "pending", "sending", "sent")


async def outbox(request: Request) -> Response:
    session, clerk = await signed_in(request, admin=True)
    state = request.query_params.get("state") or "dead"
    if state not in (*OUTBOX_STATES, "all"):
        state = "dead"
    items = await run_in_threadpool(
        console_of(request).review.queue.outbox, None if state == "all" else state
    )
    items = sorted(items, key=lambda i: i.id, reverse=True)[:500]
    context = {
        "items": items,
        "state": state,
        "states": OUTBOX_STATES,
        "done": request.query_params.get("done"),
        "requeued": request.query_params.get("requeued"),
    }
    return page(request, "outbox.html", context, session=session, clerk=clerk)


async def requeue_dead_letters(request: Request) -> Response:
    """Dead letters sent again in bulk: the ticked ones (``ids``), or every one (``all``) of the scope."""
    _, clerk, form = await posted(request, admin=True)
    try:
        ids = None if form.get("all") else [int(str(v)) for v in form.getlist("ids")]
        requeue = console_of(request).review.corrections.requeue_dead_letters
        done = await run_in_threadpool(requeue, ids, actor=clerk.name, scope=clerk.scope)
    except (FormsError, ValueError) as exc:
        raise HTTPException(409, f"再送できませんでした: {exc}") from exc
    return RedirectResponse(f"/outbox?state=dead&requeued={len(done)}", status_code=303)


async def retry_message(request: Request) -> Response:
    _, clerk, _ = await posted(request, admin=True)
    outbox_id = request.path_params["outbox_id"]
    try:
        await run_in_threadpool(
            console_of(request).review.corrections.retry_message, outbox_id, actor=clerk.name
        )
    except (FormsError, ValueError) as exc:
        raise HTTPException(409, f"再送できませんでした: {exc}") from exc
    return RedirectResponse(f"/outbox?state=dead&done={outbox_id}", status_code=303)
