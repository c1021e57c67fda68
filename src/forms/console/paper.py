"""紙の申込みの登録 (``/paper``): a clerk hands in a scanned paper 様式1 that came by post or by fax.

The file goes to the mailroom's spool as an intake of that channel (``review.paper``); ``forms serve``
decides it like a mail and answers the bank at the e-mail address on the form. Those who see every
agency (the mailroom's clerks, admins) may; an agency's staff may not.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from forms.console.auth import Clerk
from forms.console.context import console_of, page, posted, signed_in
from forms.errors import ReviewError

#: The largest upload the page takes (a scan up to ``max_pdf_bytes`` and the form around it).
MAX_UPLOAD_BYTES = 32 * 1024 * 1024


def _may_hand_in(clerk: Clerk) -> None:
    if not clerk.scope.is_every:
        raise HTTPException(403, "紙の申込みは受付窓口の担当者が登録します。")


async def paper_form(request: Request) -> Response:
    session, clerk = await signed_in(request)
    _may_hand_in(clerk)
    context = {"error": None, "done": request.query_params.get("done")}
    return page(request, "paper.html", context, session=session, clerk=clerk)


async def upload_paper(request: Request) -> Response:
    session, clerk, form = await posted(request)
    _may_hand_in(clerk)
    upload = form.get("file")
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    name = (upload.filename if isinstance(upload, UploadFile) else None) or "upload"
    channel = str(form.get("channel", ""))
    paper = console_of(request).review.paper
    try:
        spool_id = await run_in_threadpool(
            paper.receive, data, filename=name, channel=channel, actor=clerk.name
        )
    except ReviewError as exc:
        context = {"error": str(exc), "done": None}
        return page(request, "paper.html", context, session=session, clerk=clerk, status_code=400)
    return RedirectResponse(f"/paper?done={spool_id}", status_code=303)
