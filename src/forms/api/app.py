"""The agencies' API (read-only, JSON), mounted by the console at ``/api/v1``.

    GET /api/v1/openapi.json                         the description (OpenAPI 3.1), no token needed
    GET /api/v1/submissions?since=&until=&page=&per_page=   the token's agency's routed submissions
    GET /api/v1/submissions/{ref}                    one: fields, decision, contact deadline
    GET /api/v1/submissions/{ref}/original.pdf       its 様式1 as the bank sent it

``Authorization: Bearer <token>`` (``forms token add``). No, unknown or revoked token: 401; another
agency's submission: 403 (the same rule as the console's, ``forms.access.scope``); too many requests:
429 with Retry-After (``api_rate_per_minute``, ``api_burst``; counted in the store, one budget
for every process serving the API, ``forms.api.limits``). Errors are ``{"error", "message"}``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from forms.access.tokens import ApiClient, Tokens
from forms.api.limits import RateLimiter
from forms.config import Settings
from forms.jp.wareki import today_in_japan
from forms.review import Review
from forms.review.submissions import Submission

OPENAPI = Path(__file__).with_name("openapi.json")
MAX_PER_PAGE = 100


class ApiProblem(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def summary(s: Submission, base: str) -> dict[str, Any]:
    fields = s.fields
    return {
        "reference": s.reference,
        "intake_id": s.intake_id,
        "agency": s.agency,
        "company_name": fields.get("company_name"),
        "received_at": _iso(s.received_at),
        "received_on": _iso(s.received_on),
        "decided_at": _iso(s.decided_at),
        "contact_due": _iso(s.contact_due),
        "deadline_status": s.deadline_status,
        "contacted_at": _iso(s.contacted_at),
        "url": f"{base}/submissions/{s.reference or s.intake_id}",
    }


def detail(s: Submission, base: str) -> dict[str, Any]:
    d = s.decision
    out = summary(s, base)
    out["decision"] = {
        "status": d.get("status"),
        "agency": d.get("agency"),
        "reasons": list(d.get("reasons") or []),
        "fields": dict(d.get("fields") or {}),
    }
    out["original_pdf"] = f"{out['url']}/original.pdf" if s.has_original else None
    return out


class Api:
    def __init__(self, review: Review, settings: Settings, limiter: RateLimiter | None = None) -> None:
        self.review = review
        self.tokens = Tokens(review.store)
        self.limiter = limiter or RateLimiter(
            review.store.rate_limits, settings.api_rate_per_minute, settings.api_burst
        )
        self.description = json.loads(OPENAPI.read_text(encoding="utf-8"))

    async def _limit(self, key: str) -> None:
        wait = await run_in_threadpool(self.limiter.take, key)  # a write to the store
        if wait:
            retry = str(math.ceil(wait))
            raise ApiProblem(
                429,
                "rate_limited",
                "リクエストが多すぎます。しばらく待ってから再度お試しください。",
                {"Retry-After": retry},
            )

    async def client(self, request: Request) -> ApiClient:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        found = (
            await run_in_threadpool(self.tokens.client, token.strip()) if scheme.lower() == "bearer" else None
        )
        if found is None:
            await self._limit(f"ip:{request.client.host if request.client else '-'}")
            challenge = {"WWW-Authenticate": 'Bearer realm="forms"'}
            raise ApiProblem(401, "unauthorized", "トークンがないか、無効です。", challenge)
        await self._limit(f"token:{found.token_id}")
        return found

    async def submission(self, request: Request) -> tuple[Submission, str]:
        client = await self.client(request)
        ref = request.path_params["ref"]
        found = await run_in_threadpool(self.review.submissions.get, ref, today_in_japan())
        if found is None:
            raise ApiProblem(404, "not_found", f"申込み {ref} はありません。")
        if not client.scope.allows(found.agency):
            raise ApiProblem(
                403, "forbidden", f"申込み {ref} はこのトークンの支援機関の申込みではありません。"
            )
        return found, _base(request)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + request.scope.get("root_path", "")


def _api(request: Request) -> Api:
    return request.app.state.api  # type: ignore[no-any-return]


def _day(params: Any, name: str) -> dt.date | None:
    text = params.get(name)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ApiProblem(400, "bad_request", f"{name} は 2026-06-01 の形の日付です。") from exc


def _int(params: Any, name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(params.get(name, default))
    except ValueError as exc:
        raise ApiProblem(400, "bad_request", f"{name} は整数です。") from exc
    if not low <= value <= high:
        raise ApiProblem(400, "bad_request", f"{name} は {low}〜{high} です。")
    return value


async def list_submissions(request: Request) -> Response:
    api = _api(request)
    client = await api.client(request)
    params = request.query_params
    since, until = _day(params, "since"), _day(params, "until")
    page = _int(params, "page", 1, 1, 1_000_000)
    per_page = _int(params, "per_page", 50, 1, MAX_PER_PAGE)
    found, total = await run_in_threadpool(
        lambda: api.review.submissions.page(
            client.agency,
            since=since,
            until=until,
            today=today_in_japan(),
            limit=per_page,
            offset=(page - 1) * per_page,
        )
    )
    base = _base(request)
    kept = {k: v for k, v in params.items() if k in ("since", "until", "per_page")}
    more = page * per_page < total
    body = {
        "agency": client.agency,
        "page": page,
        "per_page": per_page,
        "total": total,
        "next": f"{base}/submissions?{urlencode({**kept, 'page': page + 1})}" if more else None,
        "items": [summary(s, base) for s in found],
    }
    return JSONResponse(body)


async def get_submission(request: Request) -> Response:
    found, base = await _api(request).submission(request)
    return JSONResponse(detail(found, base))


async def original_pdf(request: Request) -> Response:
    api = _api(request)
    found, _ = await api.submission(request)
    pdf = await run_in_threadpool(api.review.submissions.original, found)
    if pdf is None:
        raise ApiProblem(404, "not_found", "この申込みには様式1のPDFがありません。")
    name = f"youshiki1-{found.reference or found.intake_id}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


async def openapi(request: Request) -> Response:
    return JSONResponse(_api(request).description)


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    return JSONResponse(
        {"error": exc.code, "message": exc.message}, status_code=exc.status, headers=exc.headers
    )


def create_api(review: Review, settings: Settings, *, limiter: RateLimiter | None = None) -> Starlette:
    routes = [
        Route("/openapi.json", openapi),
        Route("/submissions", list_submissions),
        Route("/submissions/{ref}", get_submission),
        Route("/submissions/{ref}/original.pdf", original_pdf),
    ]
    app = Starlette(routes=routes, exception_handlers={ApiProblem: _problem})
    app.state.api = Api(review, settings, limiter)
    return app
