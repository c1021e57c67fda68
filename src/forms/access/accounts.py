"""The console's accounts: clerks and admins, passwords hashed with argon2id (argon2-cffi).

A clerk may be scoped to one agency (``agency``): such a clerk sees only that agency's intakes. An
admin sees everything and is never scoped. Passwords are never stored or logged; only their argon2id
hashes are, and a hash made with weaker parameters than today's is replaced at the next sign-in.
Adding an account and changing a password are events in the log, with who did it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from forms.errors import AccountError, StoreError
from forms.spec import AGENCIES
from forms.store import Store
from forms.store.users import UserRecord

ROLES: tuple[str, ...] = ("clerk", "admin")
MIN_PASSWORD_CHARS = 10
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")



@dataclass(frozen=True)
class User:
    """A signed-in person: account name, role ('clerk' | 'admin'), agency scope (None = every agency)."""

    name: str
    role: str
    agency: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def scope(self) -> str | None:
        """The agency whose intakes this person may see; None = every agency."""
        return None if self.is_admin else self.agency


def check_account(name: str, role: str, agency: str | None) -> list[str]:
    """What is wrong with an account's name, role and scope (empty when nothing is)."""
    problems = []
    if not _NAME.fullmatch(name):
        problems.append(f"アカウント名は英数字と . _ @ - で100文字以内です（{name!r}）")
    if role not in ROLES:
        problems.append(f"役割は {' / '.join(ROLES)} のいずれかです（{role!r}）")
    if agency is not None and agency not in AGENCIES:
        problems.append(f"支援機関は {'、'.join(AGENCIES)} のいずれかです（{agency!r}）")
    if role == "admin" and agency is not None:
        problems.append("管理者（admin）は支援機関で限定できません")
    return problems


def check_password(password: str) -> list[str]:
    if len(password) < MIN_PASSWORD_CHARS:
        return [f"パスワードは{MIN_PASSWORD_CHARS}文字以上にしてください"]
    return []


class Users:
    """The accounts in the store. ``hasher`` defaults to argon2-cffi's recommended argon2id parameters."""

    def __init__(self, store: Store, *, hasher: PasswordHasher | None = None) -> None:
        self.store = store
        self._hasher = hasher or PasswordHasher()
        # checked when the account does not exist, so a wrong name takes as long as a wrong password
        self._decoy = self._hasher.hash("decoy password, never a real one")

    def add(
        self, name: str, *, role: str, password: str, agency: str | None = None, actor: str = "cli"
    ) -> User:
        problems = check_account(name, role, agency) + check_password(password)
        if problems:
            raise AccountError("、".join(problems))
        record = UserRecord(name, role, agency, self._hasher.hash(password))
        try:
            self.store.users.add(record, actor=actor)
        except StoreError as exc:
            if self.store.users.get(name) is not None:
                raise AccountError(f"アカウント {name} は既にあります") from exc
            raise
        return User(name, role, agency)

    def get(self, name: str) -> User | None:
        record = self.store.users.get(name)
        return None if record is None else User(record.name, record.role, record.agency)

    def all(self) -> list[User]:
        return [User(r.name, r.role, r.agency) for r in self.store.users.all()]

    def authenticate(self, name: str, password: str) -> User | None:
        """The account when ``password`` is its password; None otherwise (unknown name or wrong password)."""
        record = self.store.users.get(name)
        if record is None:
            self._verify(self._decoy, password)
            return None
        if not self._verify(record.password_hash, password):
            return None
        if self._hasher.check_needs_rehash(record.password_hash):
            self.store.users.set_password_hash(name, self._hasher.hash(password), actor=name, event=False)
        return User(record.name, record.role, record.agency)

    def signed_in(self, name: str, ip: str) -> None:
        """A successful sign-in, in the event log (who, from where)."""
        self.store.events.add(None, "signed_in", actor=name, detail={"ip": ip})

    def set_password(self, name: str, password: str, *, actor: str) -> None:
        problems = check_password(password)
        if problems:
            raise AccountError("、".join(problems))
        try:
            self.store.users.set_password_hash(name, self._hasher.hash(password), actor=actor, event=True)
        except StoreError as exc:
            raise AccountError(f"アカウント {name} はありません") from exc

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(password_hash, password))
        except (VerificationError, InvalidHashError):
            return False
