"""The admins' page of accounts (``/accounts``): add an account, change its role and scope, disable or
enable it, set a new password; the newest account events (sign-ins, failed sign-ins, changes) below.

Each change is made by ``forms.access.accounts.Users`` (the same as ``forms user …``), written as an
event with the admin's name, and ends the account's sessions where it must (see ``access.accounts``).
A refused change (a clerk without a scope, the last admin disabled, a short password) is shown on the
page with its reason, nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from forms.console.auth import Clerk, Session
from forms.console.context import console_of, page, posted, signed_in
from forms.errors import AccountError
from forms.spec import AGENCIES

ALL = "*"  # the scope field's value for every agency


async def _page(
    request: Request, session: Session, clerk: Clerk, *, error: str | None = None, code: int = 200
) -> Response:
    accounts = console_of(request).accounts
    users = await run_in_threadpool(accounts.all)
    events = await run_in_threadpool(accounts.account_events, 100)
    context = {
        "users": users,
        "events": events,
        "agencies": AGENCIES,
        "done": request.query_params.get("done"),
        "error": error,
    }
    return page(request, "accounts.html", context, session=session, clerk=clerk, status_code=code)


async def accounts_page(request: Request) -> Response:
    session, clerk = await signed_in(request, admin=True)
    return await _page(request, session, clerk)


def _scope(form: FormData) -> tuple[str | None, bool]:
    """(agency, all_agencies) from the form's scope field: an agency, '*' for all, '' for none."""
    value = str(form.get("scope", "")).strip()
    return (None, True) if value == ALL else (value or None, False)


async def _changed(
    request: Request, session: Session, clerk: Clerk, done: str, change: Callable[[], object]
) -> Response:
    try:
        await run_in_threadpool(change)
    except AccountError as exc:
        return await _page(request, session, clerk, error=f"変更できませんでした: {exc}", code=409)
    return RedirectResponse(f"/accounts?done={quote(done)}", status_code=303)


async def add(request: Request) -> Response:
    session, clerk, form = await posted(request, admin=True)
    accounts = console_of(request).accounts
    name, role = str(form.get("name", "")).strip(), str(form.get("role", ""))
    password, again = str(form.get("password", "")), str(form.get("password_again", ""))
    if password != again:
        return await _page(request, session, clerk, error="パスワードが一致しません。", code=409)
    agency, everyone = _scope(form)
    return await _changed(
        request,
        session,
        clerk,
        f"アカウント {name} を追加しました。",
        lambda: accounts.add(
            name, role=role, password=password, agency=agency, all_agencies=everyone, actor=clerk.name
        ),
    )


async def access(request: Request) -> Response:
    session, clerk, form = await posted(request, admin=True)
    name = request.path_params["name"]
    agency, everyone = _scope(form)
    role = str(form.get("role", ""))
    accounts = console_of(request).accounts
    return await _changed(
        request,
        session,
        clerk,
        f"{name} の役割・担当を変更しました（サインイン中のセッションは終了）。",
        lambda: accounts.set_access(name, role=role, agency=agency, all_agencies=everyone, actor=clerk.name),
    )


async def disable(request: Request) -> Response:
    session, clerk, form = await posted(request, admin=True)
    name, disabled = request.path_params["name"], form.get("disabled") == "1"
    accounts = console_of(request).accounts
    done = f"{name} を{'無効' if disabled else '有効'}にしました。"
    return await _changed(
        request, session, clerk, done, lambda: accounts.set_disabled(name, disabled, actor=clerk.name)
    )


async def password(request: Request) -> Response:
    session, clerk, form = await posted(request, admin=True)
    name = request.path_params["name"]
    new, again = str(form.get("password", "")), str(form.get("password_again", ""))
    if new != again:
        return await _page(request, session, clerk, error="パスワードが一致しません。", code=409)
    accounts = console_of(request).accounts
    done = f"{name} のパスワードを設定しました（サインイン中のセッションは終了）。"
    return await _changed(
        request, session, clerk, done, lambda: accounts.set_password(name, new, actor=clerk.name)
    )
