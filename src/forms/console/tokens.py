"""The admins' page of the agencies' API tokens: list, make one (shown once), revoke one."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from forms.access.tokens import Tokens
from forms.console.context import console_of, page, posted, signed_in
from forms.errors import AccountError


def _tokens(request: Request) -> Tokens:
    return Tokens(console_of(request).review.store)


async def tokens_page(request: Request) -> Response:
    session, clerk = await signed_in(request, admin=True)
    records = await run_in_threadpool(_tokens(request).all)
    context = {"records": records, "made": None, "done": request.query_params.get("done")}
    return page(request, "tokens.html", context, session=session, clerk=clerk)


async def add_token(request: Request) -> Response:
    session, clerk, form = await posted(request, admin=True)
    tokens = _tokens(request)
    agency, label = str(form.get("agency", "")), str(form.get("label", ""))
    try:
        record, token = await run_in_threadpool(lambda: tokens.create(agency, label=label, actor=clerk.name))
    except AccountError as exc:
        raise HTTPException(400, str(exc)) from exc
    records = await run_in_threadpool(tokens.all)
    context = {"records": records, "made": (record, token), "done": None}
    return page(request, "tokens.html", context, session=session, clerk=clerk)


async def revoke_token(request: Request) -> Response:
    _, clerk, _ = await posted(request, admin=True)
    token_id = request.path_params["token_id"]
    try:
        await run_in_threadpool(lambda: _tokens(request).revoke(token_id, actor=clerk.name))
    except AccountError as exc:
        raise HTTPException(409, str(exc)) from exc
    return RedirectResponse(f"/tokens?done={token_id}", status_code=303)
