"""What every page of the console needs: its services, the person asking, the page renderer.

``Console`` holds the objects the app was built with (one per app, on ``app.state.console``).
A view asks :func:`signed_in` for the clerk (a person not signed in is sent to the sign-in page),
or :func:`posted` for the clerk and the posted form, whose CSRF token is checked before the view
sees it. :func:`page` renders a Jinja template (autoescaped: every value is text, never markup).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from forms import templating
from forms.config import Settings
from forms.console import labels
from forms.console.auth import Accounts, Clerk, Session, Sessions, check_csrf
from forms.console.jobs import Jobs
from forms.console.throttle import SignInLimiter
from forms.documents.issued import IssuedDocuments
from forms.documents.sending import DocumentPost
from forms.jp.wareki import JST
from forms.review import Review
from forms.rules.schema import Rulebook
from forms.spec import FormSpec
from forms.store import StoreLedger

TEMPLATES = templating.TEMPLATES / "console"


class SignInRequired(Exception):
    """The page needs a signed-in clerk; the app answers with a redirect to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


@dataclass
class Console:
    settings: Settings
    review: Review
    accounts: Accounts
    ledger: StoreLedger
    documents: IssuedDocuments
    post: DocumentPost
    rulebook: Rulebook
    spec: FormSpec
    sessions: Sessions
    limiter: SignInLimiter
    jobs: Jobs
    env: jinja2.Environment

    def agency_names(self) -> dict[str, str]:
        return self.rulebook.short_names()


def console_of(request: Request) -> Console:
    return request.app.state.console  # type: ignore[no-any-return]


def environment(folder: Path = TEMPLATES) -> jinja2.Environment:
    env = templating.environment(templating.folder_loader(folder), autoescape=True)
    env.filters.update(
        status_ja=labels.status_ja,
        reason_ja=labels.reason_ja,
        event_ja=labels.event_ja,
        jst=_jst,
        yen=lambda n: "" if n is None else f"{n:,}円",
        urlquote=lambda s: quote(str(s), safe=""),
        shown=_shown,
    )
    env.globals.update(
        STATUS=labels.STATUS,
        REASON=labels.REASON,
        QUEUE_STATUSES=labels.QUEUE_STATUSES,
        OUTBOX_STATE=labels.OUTBOX_STATE,
        MESSAGE_KIND=labels.MESSAGE_KIND,
        ROLE=labels.ROLE,
    )
    return env


def _shown(value: object) -> str:
    """A normalised field value as a clerk reads it: ✓ / なし for a checkbox, dates ISO."""
    if isinstance(value, bool):
        return "✓" if value else "なし"
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def _jst(value: dt.datetime | None) -> str:
    """An instant as Tokyo time, 2026-05-20 14:03."""
    return "" if value is None else value.astimezone(JST).strftime("%Y-%m-%d %H:%M")


async def clerk_of(request: Request) -> tuple[Session | None, Clerk | None]:
    console = console_of(request)
    session = console.sessions.read(request)
    if session is None or session.user is None:
        return session, None
    clerk = await run_in_threadpool(console.accounts.get, session.user)
    return session, clerk if session.is_of(clerk) else None


async def signed_in(request: Request, *, admin: bool = False) -> tuple[Session, Clerk]:
    session, clerk = await clerk_of(request)
    if session is None or clerk is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    if admin and not clerk.is_admin:
        raise HTTPException(403, "管理者の権限が必要です。")
    return session, clerk


async def posted(request: Request, *, admin: bool = False) -> tuple[Session, Clerk, FormData]:
    """The clerk and the posted form; 403 when the form lacks this session's CSRF token."""
    session = console_of(request).sessions.read(request)
    form = await request.form()
    if not check_csrf(session, form):
        raise HTTPException(
            403, "フォームの確認用トークンが無効です。ページを開き直してから送信してください。"
        )
    session, clerk = await signed_in(request, admin=admin)
    return session, clerk, form


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    session: Session | None,
    clerk: Clerk | None,
    status_code: int = 200,
) -> HTMLResponse:
    console = console_of(request)
    html = console.env.get_template(template).render(
        request_path=request.url.path,
        clerk=clerk,
        csrf=session.csrf if session else "",
        agency_names=console.agency_names(),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
