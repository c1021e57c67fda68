"""The agencies' API tokens: made and revoked by an admin (``forms token``, the console's tokens page),
one agency each. A token is shown once when it is made; the store keeps only its SHA-256 (a token is
256 random bits, so a plain hash suffices: nothing to guess). A revoked or unknown token is refused."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from forms.access.scope import Scope
from forms.errors import AccountError
from forms.spec import AGENCIES
from forms.store import Store
from forms.store.tokens import TokenRecord

PREFIX = "forms_"
_MAX_TOKEN_CHARS = 200


@dataclass(frozen=True)
class ApiClient:
    """Who an API request comes from: a token of one agency (its ``scope``)."""

    token_id: int
    agency: str
    label: str

    @property
    def scope(self) -> Scope:
        """The console's rule for a clerk of this one agency (``forms.access.scope``)."""
        return Scope.of(self.agency)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class Tokens:
    def __init__(self, store: Store) -> None:
        self._store = store

    def create(self, agency: str, *, label: str, actor: str) -> tuple[TokenRecord, str]:
        """A new token for ``agency``: its record and the token itself (shown once, never stored)."""
        if agency not in AGENCIES:
            raise AccountError(f"支援機関は {'、'.join(AGENCIES)} のいずれかです（{agency!r}）")
        token = PREFIX + secrets.token_urlsafe(32)
        record = self._store.tokens.add(
            agency=agency, label=label.strip()[:200], token_sha256=token_hash(token), actor=actor
        )
        return record, token

    def revoke(self, token_id: int, *, actor: str) -> None:
        if not self._store.tokens.revoke(token_id, actor=actor):
            raise AccountError(f"トークン {token_id} はないか、既に無効です")

    def all(self) -> list[TokenRecord]:
        return self._store.tokens.all()

    def client(self, token: str) -> ApiClient | None:
        """The client of a presented token; None when it is malformed, unknown or revoked."""
        if not token.startswith(PREFIX) or len(token) > _MAX_TOKEN_CHARS:
            return None
        record = self._store.tokens.by_hash(token_hash(token))
        if record is None or record.revoked_at is not None:
            return None
        return ApiClient(record.id, record.agency, record.label)
