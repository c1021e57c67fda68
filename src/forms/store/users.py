"""The console's accounts (clerks and admins): names, roles, agency scopes and password hashes.

Passwords are never stored, only their argon2id hashes (``forms.access.accounts`` makes them).
Adding an account and changing a password write their event in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from forms.errors import StoreError
from forms.store.engine import Database
from forms.store.schema import users


@dataclass(frozen=True)
class UserRecord:
    name: str
    role: str
    agency: str | None
    password_hash: str


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
                    password_hash=record.password_hash,
                    created_at=now,
                    updated_at=now,
                )
            )
            detail = {"name": record.name, "role": record.role, "agency": record.agency}
            self._db.event(conn, None, "user_added", actor=actor, detail=detail)

    def get(self, name: str) -> UserRecord | None:
        query = select(users.c.name, users.c.role, users.c.agency, users.c.password_hash).where(
            users.c.name == name
        )
        with self._db.reading() as conn:
            row = conn.execute(query).first()
        return None if row is None else UserRecord(*row)

    def all(self) -> list[UserRecord]:
        query = select(users.c.name, users.c.role, users.c.agency, users.c.password_hash).order_by(
            users.c.name
        )
        with self._db.reading() as conn:
            return [UserRecord(*r) for r in conn.execute(query)]

    def set_password_hash(self, name: str, password_hash: str, *, actor: str, event: bool) -> None:
        """A new hash for ``name`` (a changed password, with its event; or a silent re-hash at sign-in)."""
        with self._db.writing() as conn:
            done = conn.execute(
                update(users)
                .where(users.c.name == name)
                .values(password_hash=password_hash, updated_at=self._db.now())
            ).rowcount
            if not done:
                raise StoreError(f"no user {name!r}")
            if event:
                self._db.event(conn, None, "password_changed", actor=actor, detail={"name": name})
