"""The console's accounts (clerks and admins): names, roles, agency scopes, password hashes, whether
an account is disabled, and its session version.

Passwords are never stored, only their argon2id hashes (``forms.access.accounts`` makes them). Every
change writes its event in the same transaction. A change that must end the account's sessions —
sign-out, disabling, a new password, a new role or scope — raises ``session_version`` in the same
UPDATE: a session cookie carries the version it was signed in at and is refused once it differs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update

from forms.errors import StoreError
from forms.store.engine import Database
from forms.store.schema import users

_COLUMNS = (
    users.c.name,
    users.c.role,
    users.c.agency,
    users.c.password_hash,
    users.c.all_agencies,
    users.c.disabled_at,
    users.c.session_version,
)


@dataclass(frozen=True)
class UserRecord:
    name: str
    role: str
    agency: str | None
    password_hash: str
    all_agencies: bool = False
    disabled_at: dt.datetime | None = None
    session_version: int = 0


class UserAccounts:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, record: UserRecord, *, actor: str) -> None:
        now = self._db.now()
        with self._db.writing() as conn:
            if conn.execute(select(users.c.id).where(users.c.name == record.name)).first() is not None:
                raise StoreError(f"user {record.name!r} exists already")
            conn.execute(
                users.insert().values(
                    name=record.name,
                    role=record.role,
                    agency=record.agency,
                    all_agencies=record.all_agencies,
                    password_hash=record.password_hash,
                    created_at=now,
                    updated_at=now,
                )
            )
            detail = {
                "name": record.name,
                "role": record.role,
                "agency": record.agency,
                "all_agencies": record.all_agencies,
            }
            self._db.event(conn, None, "user_added", actor=actor, detail=detail)

    def get(self, name: str) -> UserRecord | None:
        with self._db.reading() as conn:
            row = conn.execute(select(*_COLUMNS).where(users.c.name == name)).first()
        return None if row is None else UserRecord(*row)

    def all(self) -> list[UserRecord]:
        with self._db.reading() as conn:
            return [UserRecord(*r) for r in conn.execute(select(*_COLUMNS).order_by(users.c.name))]

    def set_password_hash(self, name: str, password_hash: str, *, actor: str, event: bool) -> None:
        """A new hash for ``name``: a changed password (its event; the account's sessions end), or a
        silent re-hash at sign-in with stronger parameters (the same password: sessions stay)."""
        with self._db.writing() as conn:
            values: dict[str, Any] = {"password_hash": password_hash}
            if event:
                values["session_version"] = users.c.session_version + 1
            self._change(conn, name, values)
            if event:
                self._db.event(conn, None, "password_changed", actor=actor, detail={"name": name})

    def set_access(
        self, name: str, *, role: str, agency: str | None, all_agencies: bool, actor: str
    ) -> UserRecord:
        """A new role and scope for ``name`` (event 'user_changed', before and after); its sessions end."""
        with self._db.writing() as conn:
            before = conn.execute(select(*_COLUMNS).where(users.c.name == name)).first()
            if before is None:
                raise StoreError(f"no user {name!r}")
            values = {"role": role, "agency": agency, "all_agencies": all_agencies}
            self._change(conn, name, {**values, "session_version": users.c.session_version + 1})
            old = {"role": before.role, "agency": before.agency, "all_agencies": before.all_agencies}
            self._db.event(
                conn, None, "user_changed", actor=actor, detail={"name": name, "before": old, **values}
            )
        found = self.get(name)
        assert found is not None
        return found

    def set_disabled(self, name: str, disabled: bool, *, actor: str) -> None:
        """Disable ``name`` (it cannot sign in; its sessions end) or enable it again."""
        with self._db.writing() as conn:
            values: dict[str, Any] = {"disabled_at": self._db.now() if disabled else None}
            self._change(conn, name, {**values, "session_version": users.c.session_version + 1})
            kind = "user_disabled" if disabled else "user_enabled"
            self._db.event(conn, None, kind, actor=actor, detail={"name": name})

    def end_sessions(self, name: str, *, actor: str, ip: str) -> None:
        """Sign-out: every session of ``name`` ends (event 'signed_out')."""
        with self._db.writing() as conn:
            self._change(conn, name, {"session_version": users.c.session_version + 1})
            self._db.event(conn, None, "signed_out", actor=actor, detail={"name": name, "ip": ip})

    def _change(self, conn: Connection, name: str, values: dict[str, Any]) -> None:
        done = conn.execute(
            update(users).where(users.c.name == name).values(**values, updated_at=self._db.now())
        ).rowcount
        if not done:
            raise StoreError(f"no user {name!r}")
