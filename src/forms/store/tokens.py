"""The agencies' API tokens (``store.tokens``): only each token's SHA-256 is stored; adding and revoking
are events with who did it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from forms.store.engine import Database
from forms.store.schema import api_tokens


@dataclass(frozen=True)
class TokenRecord:
    id: int
    agency: str
    label: str
    created_at: dt.datetime
    created_by: str
    revoked_at: dt.datetime | None
    revoked_by: str | None


def _record(row: Any) -> TokenRecord:
    return TokenRecord(
        row.id, row.agency, row.label, row.created_at, row.created_by, row.revoked_at, row.revoked_by
    )


class ApiTokens:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, *, agency: str, label: str, token_sha256: str, actor: str) -> TokenRecord:
        now = self._db.now()
        values = {"agency": agency, "label": label, "token_sha256": token_sha256}
        with self._db.writing() as conn:
            row = conn.execute(
                api_tokens.insert().values(**values, created_at=now, created_by=actor).returning(api_tokens)
            ).first()
            detail = {"token_id": row.id, "agency": agency, "label": label}  # type: ignore[union-attr]
            self._db.event(conn, None, "api_token_created", actor=actor, detail=detail)
        return _record(row)

    def by_hash(self, token_sha256: str) -> TokenRecord | None:
        query = select(api_tokens).where(api_tokens.c.token_sha256 == token_sha256)
        with self._db.reading() as conn:
            row = conn.execute(query).first()
        return None if row is None else _record(row)

    def revoke(self, token_id: int, *, actor: str) -> bool:
        """False when there is no such token or it was revoked before."""
        t = api_tokens.c
        with self._db.writing() as conn:
            done = conn.execute(
                update(api_tokens)
                .where(t.id == token_id, t.revoked_at.is_(None))
                .values(revoked_at=self._db.now(), revoked_by=actor)
            ).rowcount
            if done:
                self._db.event(conn, None, "api_token_revoked", actor=actor, detail={"token_id": token_id})
        return bool(done)

    def all(self) -> list[TokenRecord]:
        with self._db.reading() as conn:
            return [_record(r) for r in conn.execute(select(api_tokens).order_by(api_tokens.c.id))]
