"""The clerk console: a Starlette app of server-rendered Japanese pages over the Review service.

    create_app(settings)           the store under FORMS_HOME, accounts from forms.access.accounts
    create_app(settings, review=…) an existing Review (tests, or ``forms serve`` sharing its store)

Pages work without JavaScript (one small script only animates the progress bar). Every page but
sign-in needs a signed-in clerk; every POST needs the session's CSRF token; the responses carry a
strict Content-Security-Policy (no inline script or style, nothing from elsewhere) and are not cached.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from forms.access.accounts import Users
from forms.api.app import create_api
from forms.config import Settings
from forms.console import accounts, actions, bulk, exports, operations, paper, tokens, views
from forms.console import ledger as ledger_views
from forms.console.auth import Accounts, Sessions, load_secret
from forms.console.context import Console, SignInRequired, clerk_of, environment, page
from forms.console.jobs import Jobs
from forms.console.throttle import SignInLimiter
from forms.documents.issued import IssuedDocuments
from forms.documents.sending import DocumentPost
from forms.files import private_dir
from forms.review import Review
from forms.store import Store, StoreLedger

_SECURE: dict[str, bool | None] = {"auto": None, "always": True, "never": False}
MAX_BODY_BYTES = 1024 * 1024  # forms, and support files (CSV / .xlsx) of up to 1 MB
STATIC = Path(__file__).resolve().parent / "static"
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


#: Sent over HTTPS only (RFC 6797): the browser keeps to HTTPS for this host for a year.
HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeaders:
    """Adds the security headers to every response, no-store to every page, HSTS over HTTPS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = str(scope.get("path", "")).startswith("/static/")
        extra = [*SECURITY_HEADERS, HSTS] if scope.get("scheme") == "https" else SECURITY_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in names]
                if not is_static and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def routes(api: ASGIApp) -> list[Route | Mount]:
    return [
        Mount("/api/v1", app=api),
        Route("/tokens", tokens.tokens_page, methods=["GET"]),
        Route("/tokens", tokens.add_token, methods=["POST"]),
        Route("/tokens/{token_id:int}/revoke", tokens.revoke_token, methods=["POST"]),
        Route("/", lambda request: RedirectResponse("/queue", status_code=303)),
        Route("/signin", views.signin_form, methods=["GET"]),
        Route("/signin", views.signin, methods=["POST"]),
        Route("/signout", views.signout, methods=["POST"]),
        Route("/queue", views.queue),
        Route("/intakes/{intake_id:int}", views.intake),
        Route("/intakes/{intake_id:int}/pages/{page:int}.png", views.page_png),
        Route("/intakes/{intake_id:int}/preview", actions.preview, methods=["POST"]),
        Route("/intakes/{intake_id:int}/fix", actions.fix, methods=["POST"]),
        Route("/intakes/{intake_id:int}/route", actions.route, methods=["POST"]),
        Route("/intakes/{intake_id:int}/reject", actions.reject, methods=["POST"]),
        Route("/intakes/{intake_id:int}/handled", actions.handled, methods=["POST"]),
        Route("/intakes/{intake_id:int}/retry", actions.retry, methods=["POST"]),
        Route("/intakes/{intake_id:int}/youshiki3", ledger_views.youshiki3, methods=["POST"]),
        Route("/ledger", ledger_views.ledger),
        Route("/ledger.xlsx", exports.ledger_xlsx),
        Route("/exports", exports.exports),
        Route("/exports/submissions", exports.submissions),
        Route("/ledger/youshiki2", ledger_views.youshiki2, methods=["POST"]),
        Route("/reprocess", operations.reprocess_form, methods=["GET"]),
        Route("/reprocess", operations.reprocess, methods=["POST"]),
        Route("/youshiki3/batch", bulk.youshiki3_batch, methods=["POST"]),
        Route("/paper", paper.paper_form, methods=["GET"]),
        Route("/paper", paper.upload_paper, methods=["POST"], max_body_size=paper.MAX_UPLOAD_BYTES),
        Route("/youshiki2/batch", bulk.youshiki2_batch, methods=["POST"]),
        Route("/supports/import", bulk.import_form, methods=["GET"]),
        Route("/supports/import", bulk.import_supports, methods=["POST"]),
        Route("/jobs/{job_id:int}", operations.job_page),
        Route("/jobs/{job_id:int}.json", operations.job_json),
        Route("/deadlines", operations.deadlines),
        Route("/intakes/{intake_id:int}/contacted", operations.contacted, methods=["POST"]),
        Route("/outbox", operations.outbox),
        Route("/accounts", accounts.accounts_page, methods=["GET"]),
        Route("/accounts", accounts.add, methods=["POST"]),
        Route("/accounts/{name}/access", accounts.access, methods=["POST"]),
        Route("/accounts/{name}/disable", accounts.disable, methods=["POST"]),
        Route("/accounts/{name}/password", accounts.password, methods=["POST"]),
        Route("/outbox/{outbox_id:int}/retry", operations.retry_message, methods=["POST"]),
        Route("/outbox/requeue", operations.requeue_dead_letters, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


async def _sign_in_first(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return RedirectResponse("/signin?" + urlencode({"next": exc.next_url}), status_code=303)


async def _error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    session, clerk = await clerk_of(request)
    titles = {
        403: "権限がありません",
        404: "見つかりません",
        405: "この操作はできません",
        429: "しばらくお待ちください",
    }
    context = {"title": titles.get(exc.status_code, "エラー"), "detail": exc.detail, "code": exc.status_code}
    return page(request, "error.html", context, session=session, clerk=clerk, status_code=exc.status_code)


def sessions_for(settings: Settings, secret: str | bytes | None, secure: bool | None) -> Sessions:
    """Session cookies signed with ``secret`` (default: kept in ``$FORMS_HOME/console.key``)."""
    chosen = secure if secure is not None else _SECURE[settings.cookie_secure]
    return Sessions(secret or load_secret(settings.home / "console.key"), secure=chosen)


def limiter_for(settings: Settings) -> SignInLimiter:
    return SignInLimiter(
        per_ip=settings.signin_failures_per_ip,
        total=settings.signin_failures_total,
        window_s=settings.signin_window_s,
    )


def _console(
    settings: Settings,
    review: Review,
    accounts: Accounts | None,
    sessions: Sessions,
    limiter: SignInLimiter,
    templates: Path | None,
) -> Console:
    """What the pages share: the services over ``review``'s store."""
    rulebooks = review.desk.rulebooks
    ledger = StoreLedger.newest(review.store, rulebooks)
    return Console(
        settings=settings,
        review=review,
        accounts=accounts or Users(review.store),
        ledger=ledger,
        documents=IssuedDocuments(review.store),
        post=DocumentPost(
            review.store, settings, rulebooks=rulebooks, ledger=ledger, texts=review.desk.templates
        ),
        rulebook=rulebooks.newest,
        spec=review.desk.spec,
        sessions=sessions,
        limiter=limiter,
        jobs=Jobs(),
        env=environment(templates) if templates else environment(),
    )


def create_app(
    settings: Settings,
    *,
    review: Review | None = None,
    accounts: Accounts | None = None,
    secret: str | bytes | None = None,
    cookie_secure: bool | None = None,
    limiter: SignInLimiter | None = None,
    templates: Path | None = None,
) -> Starlette:
    """The console app. Without ``review`` it opens the store of ``settings`` (closed on shutdown);
    ``secret`` signs the session cookies (default: kept in ``$FORMS_HOME/console.key``);
    ``cookie_secure`` forces the Secure flag on or off (default: the ``cookie_secure`` setting).
    X-Forwarded-For/-Proto are read only from ``settings.trusted_proxies`` (uvicorn's middleware);
    ``templates``: the pages' folder (default ``templates/console``), rendered in the sandbox."""
    owned: Store | None = None
    if review is None:
        private_dir(settings.home)
        owned = Store.open(settings.store_url)
        review = Review(owned, settings)
    sessions = sessions_for(settings, secret, cookie_secure)
    console = _console(settings, review, accounts, sessions, limiter or limiter_for(settings), templates)
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        SignInRequired: _sign_in_first,
        HTTPException: _error_page,
    }

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owned is not None:
                owned.close()

    api = create_api(review, settings)
    app = Starlette(
        routes=routes(api), exception_handlers=handlers, lifespan=lifespan, max_body_size=MAX_BODY_BYTES
    )
    app.state.console = console
    app.add_middleware(SecurityHeaders)
    if settings.trusted_proxies:  # outermost: the headers see the client's scheme
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
    return app
