"""Who is asking: signed session cookies, CSRF tokens, the session version, forwarded headers.

A session is a cookie signed with the console's secret (itsdangerous, timed): the account name (or
none before sign-in), the session's CSRF token and the account's session version at sign-in. The
account itself is looked up on every request: a session whose version is no longer the account's —
after sign-out, disabling, a new password, role or scope — or of a disabled or removed account is no
session at all, so these end every session on the server, not only the cookie in one browser.

Cookies are HttpOnly and SameSite=Lax; Secure as ``cookie_secure`` says: ``always``, ``never``, or
``auto`` — Secure except over plain HTTP to a loopback address (a console on 127.0.0.1 for one
operator, or the tests' server). Behind a reverse proxy the client's address and scheme are taken
from X-Forwarded-For and X-Forwarded-Proto only when the request comes from one of
``trusted_proxies``; from anyone else those headers are ignored (they would let a client pick the
address the sign-in limit counts).

Every POST carries the session's CSRF token in the form field ``csrf`` (checked by :func:`check_csrf`
before anything is done); the sign-in form too, with the token of the anonymous session the sign-in
page created.
"""

from __future__ import annotations

import hmac
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from forms.access.accounts import User as Clerk
from forms.files import private_dir
from forms.store import EventRow

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

    def sign_in_failed(self, name: str, ip: str) -> None: ...

    def sign_out(self, name: str, ip: str) -> None: ...

    # the admins' page of accounts
    def all(self) -> list[Clerk]: ...

    def add(
        self, name: str, *, role: str, password: str, agency: str | None, all_agencies: bool, actor: str
    ) -> Clerk: ...

    def set_access(
        self, name: str, *, role: str, agency: str | None, all_agencies: bool, actor: str
    ) -> Clerk: ...

    def set_disabled(self, name: str, disabled: bool, *, actor: str) -> None: ...

    def set_password(self, name: str, password: str, *, actor: str) -> None: ...

    def account_events(self, limit: int = 100) -> list[EventRow]: ...


@dataclass(frozen=True)
class Session:
    """What the cookie holds: the account name (None before sign-in), the CSRF token, and the
    account's session version when it signed in."""

    user: str | None
    csrf: str
    version: int = 0

    @classmethod
    def fresh(cls, user: str | None = None, version: int = 0) -> Session:
        return cls(user=user, csrf=secrets.token_urlsafe(32), version=version)

    def is_of(self, clerk: Clerk | None) -> bool:
        """Whether this session still belongs to ``clerk``: enabled, and not ended since sign-in."""
        return clerk is not None and not clerk.disabled and clerk.session_version == self.version


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
        user, version = data.get("u"), data.get("v", 0)
        if not isinstance(version, int):
            return None
        return Session(user=user if isinstance(user, str) else None, csrf=data["c"], version=version)

    def write(self, request: Request, response: Response, session: Session) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            self._signer.dumps({"u": session.user, "c": session.csrf, "v": session.version}),
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
        """Secure unless told otherwise (``secure``), or the request came over plain HTTP to a
        loopback address."""
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
