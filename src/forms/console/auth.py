"""Who is asking: signed session cookies, CSRF tokens, the sign-in rate limit.

A session is a cookie signed with the console's secret (itsdangerous, timed): the account name (or
none before sign-in) and the session's CSRF token. The account itself is looked up on every request,
so a removed account or a changed role takes effect at once. Cookies are HttpOnly, SameSite=Lax and
Secure; Secure is dropped only when the request came over plain HTTP to a loopback address (a console
run on 127.0.0.1 for one operator, or the tests' server) — anywhere else the browser sends the cookie
over HTTPS only, so a console exposed without TLS cannot be signed into.

Every POST carries the session's CSRF token in the form field ``csrf`` (checked by :func:`check_csrf`
before anything is done); the sign-in form too, with the token of the anonymous session the sign-in
page created. Sign-in failures are counted per client IP and account name: after
``max_failures`` within ``window_s`` the sign-in answers 429 until the window has passed.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from forms.access.accounts import User as Clerk
from forms.files import private_dir

SESSION_COOKIE = "forms_session"
SESSION_MAX_AGE_S = 8 * 3600
CSRF_FIELD = "csrf"
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class Accounts(Protocol):
    """Where accounts live (``forms.access.accounts.Users``): check a password, look an account up by name.
    A ``Clerk`` is a ``forms.access.accounts.User``: name, role, agency; ``is_admin`` and ``scope``."""

    def authenticate(self, name: str, password: str) -> Clerk | None: ...

    def get(self, name: str) -> Clerk | None: ...

    def signed_in(self, name: str, ip: str) -> None: ...


@dataclass(frozen=True)
class Session:
    """What the cookie holds: the account name (None before sign-in) and the CSRF token."""

    user: str | None
    csrf: str

    @classmethod
    def fresh(cls, user: str | None = None) -> Session:
        return cls(user=user, csrf=secrets.token_urlsafe(32))


class Sessions:
    """Signs and reads session cookies."""

    def __init__(
        self, secret: str | bytes, *, secure: bool | None = None, max_age_s: int = SESSION_MAX_AGE_S
    ):
        self._signer = URLSafeTimedSerializer(secret, salt="forms-console-session")
        self._secure = secure
        self.max_age_s = max_age_s

    def read(self, request: Request) -> Session | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        try:
            data = self._signer.loads(token, max_age=self.max_age_s)
        except BadSignature:  # also SignatureExpired
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        user = data.get("u")
        return Session(user=user if isinstance(user, str) else None, csrf=data["c"])

    def write(self, request: Request, response: Response, session: Session) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            self._signer.dumps({"u": session.user, "c": session.csrf}),
            max_age=self.max_age_s,
            httponly=True,
            secure=self.secure_for(request),
            samesite="lax",
            path="/",
        )

    def clear(self, request: Request, response: Response) -> None:
        response.delete_cookie(
            SESSION_COOKIE, httponly=True, secure=self.secure_for(request), samesite="lax", path="/"
        )

    def secure_for(self, request: Request) -> bool:
        """Secure unless told otherwise, or the request came over plain HTTP to a loopback address."""
        if self._secure is not None:
            return self._secure
        server = request.scope.get("server") or ("", None)
        return not (request.url.scheme == "http" and str(server[0]) in _LOOPBACK)


def check_csrf(session: Session | None, form: Mapping[str, Any]) -> bool:
    """Whether the posted form carries this session's CSRF token (constant-time comparison)."""
    sent = form.get(CSRF_FIELD)
    if session is None or not isinstance(sent, str) or not sent:
        return False
    return hmac.compare_digest(sent.encode(), session.csrf.encode())


class SignInLimiter:
    """At most ``max_failures`` failed sign-ins per (client IP, account name) within ``window_s``."""

    def __init__(
        self, max_failures: int = 5, window_s: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        horizon = self._clock() - self.window_s
        while times and times[0] <= horizon:
            times.popleft()
        return times

    def blocked(self, ip: str, name: str) -> bool:
        with self._lock:
            return len(self._recent((ip, name))) >= self.max_failures

    def failed(self, ip: str, name: str) -> None:
        with self._lock:
            self._recent((ip, name)).append(self._clock())

    def succeeded(self, ip: str, name: str) -> None:
        with self._lock:
            self._failures.pop((ip, name), None)


def load_secret(path: Path) -> bytes:
    """The console's signing secret, made (random, mode 0600) on first use and kept in ``path``."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        private_dir(path.parent)
    secret = secrets.token_bytes(32)
    try:  # another process may be making it at the same moment: the first one wins
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        time.sleep(0.1)
        return path.read_bytes()
    with os.fdopen(fd, "wb") as f:
        f.write(secret)
    return secret
