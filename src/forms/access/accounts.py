"""The console's accounts: clerks and admins, passwords hashed with argon2id (argon2-cffi).

Scopes are explicit (``forms.access.scope``): a clerk has one agency (``agency``), or every agency
given on purpose (``all_agencies``, ``forms user add --all-agencies``); a clerk with neither — an
account made before scopes were explicit — sees nothing until an admin sets one. An admin is never
scoped. A disabled account cannot sign in. Passwords are never stored or logged; only their argon2id
hashes are, and a hash made with weaker parameters than today's is replaced at the next sign-in.
Every change to an account is an event in the log, with who did it; a change of password, role or
scope, and disabling, end the account's sessions (its session version is raised).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from forms.access.scope import Scope
from forms.errors import AccountError, StoreError
from forms.spec import AGENCIES
from forms.store import Store
from forms.store.records import EventRow
from forms.store.users import UserRecord

ROLES: tuple[str, ...] = ("clerk", "admin")
ACCOUNT_EVENTS = (
    "user_added",
    "user_changed",
    "user_disabled",
    "user_enabled",
    "password_changed",
    "signed_in",
    "signed_out",
    "sign_in_failed",
)
MIN_PASSWORD_CHARS = 10
#: Longer passwords are refused unhashed (argon2 hashes any length, slowly).
MAX_PASSWORD_CHARS = 1024
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")


@dataclass(frozen=True)
class User:
    """A person's account: name, role ('clerk' | 'admin'), scope (agency, or all agencies), whether it
    is disabled, and the session version its sessions must carry."""

    name: str
    role: str
    agency: str | None = None
    all_agencies: bool = False
    disabled: bool = False
    session_version: int = 0

    @classmethod
    def of(cls, record: UserRecord) -> User:
        return cls(
            record.name,
            record.role,
            record.agency,
            record.all_agencies,
            record.disabled_at is not None,
            record.session_version,
        )

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def scope(self) -> Scope:
        """The agencies whose intakes, documents and ledger rows this person may see and act on."""
        if self.is_admin or self.all_agencies:
            return Scope.every()
        return Scope.of(self.agency) if self.agency else Scope.nothing()


def well_formed_name(name: str) -> bool:
    """Whether ``name`` can be an account name at all (checked before any password is hashed)."""
    return bool(_NAME.fullmatch(name))


def check_account(name: str, role: str, agency: str | None, all_agencies: bool = False) -> list[str]:
    """What is wrong with an account's name, role and scope (empty when nothing is)."""
    problems = []
    if not well_formed_name(name):
        problems.append(f"アカウント名は英数字と . _ @ - で100文字以内です（{name!r}）")
    if role not in ROLES:
        problems.append(f"役割は {' / '.join(ROLES)} のいずれかです（{role!r}）")
    if agency is not None and agency not in AGENCIES:
        problems.append(f"支援機関は {'、'.join(AGENCIES)} のいずれかです（{agency!r}）")
    if role == "admin" and (agency is not None or all_agencies):
        problems.append("管理者（admin）はすべての支援機関を扱うため、支援機関は指定しません")
    if role == "clerk" and agency is not None and all_agencies:
        problems.append("担当の支援機関と「すべての支援機関」は同時に指定できません")
    if role == "clerk" and agency is None and not all_agencies:
        problems.append("担当者（clerk）には担当の支援機関か「すべての支援機関」を指定してください")
    return problems


def check_password(password: str) -> list[str]:
    if len(password) < MIN_PASSWORD_CHARS:
        return [f"パスワードは{MIN_PASSWORD_CHARS}文字以上にしてください"]
    if len(password) > MAX_PASSWORD_CHARS:
        return [f"パスワードは{MAX_PASSWORD_CHARS}文字以内にしてください"]
    return []


class Users:
    """The accounts in the store. ``hasher`` defaults to argon2-cffi's recommended argon2id parameters."""

    def __init__(self, store: Store, *, hasher: PasswordHasher | None = None) -> None:
        self.store = store
        self._hasher = hasher or PasswordHasher()
        # checked when the account does not exist, so a wrong name takes as long as a wrong password
        self._decoy = self._hasher.hash("decoy password, never a real one")

    def add(
        self,
        name: str,
        *,
        role: str,
        password: str,
        agency: str | None = None,
        all_agencies: bool = False,
        actor: str = "cli",
    ) -> User:
        problems = check_account(name, role, agency, all_agencies) + check_password(password)
        if problems:
            raise AccountError("、".join(problems))
        record = UserRecord(name, role, agency, self._hasher.hash(password), all_agencies)
        try:
            self.store.users.add(record, actor=actor)
        except StoreError as exc:
            if self.store.users.get(name) is not None:
                raise AccountError(f"アカウント {name} は既にあります") from exc
            raise
        return User.of(record)

    def get(self, name: str) -> User | None:
        record = self.store.users.get(name) if well_formed_name(name) else None
        return None if record is None else User.of(record)

    def all(self) -> list[User]:
        return [User.of(r) for r in self.store.users.all()]

    def authenticate(self, name: str, password: str) -> User | None:
        """The account when ``password`` is its password and it is enabled; None otherwise. A name that
        cannot be an account's is refused before any hashing."""
        if not well_formed_name(name) or len(password) > MAX_PASSWORD_CHARS:
            return None
        record = self.store.users.get(name)
        if record is None:
            self._verify(self._decoy, password)
            return None
        if not self._verify(record.password_hash, password) or record.disabled_at is not None:
            return None
        if self._hasher.check_needs_rehash(record.password_hash):
            self.store.users.set_password_hash(name, self._hasher.hash(password), actor=name, event=False)
        return User.of(record)

    def signed_in(self, name: str, ip: str) -> None:
        """A successful sign-in, in the event log (who, from where)."""
        self.store.events.add(None, "signed_in", actor=name, detail={"ip": ip})

    def sign_in_failed(self, name: str, ip: str) -> None:
        """A refused sign-in, in the event log (the name as typed, cut to 100 characters; from where)."""
        self.store.events.add(None, "sign_in_failed", actor="-", detail={"name": name[:100], "ip": ip})

    def account_events(self, limit: int = 100) -> list[EventRow]:
        """The newest events about accounts: added, changed, signed in and out, failed sign-ins."""
        return self.store.events.newest(ACCOUNT_EVENTS, limit)

    def sign_out(self, name: str, ip: str) -> None:
        """Every session of ``name`` ends, here and in any other browser (event 'signed_out')."""
        self._changed(name, lambda: self.store.users.end_sessions(name, actor=name, ip=ip))

    def set_password(self, name: str, password: str, *, actor: str) -> None:
        """A new password (the account's own, or a reset by an admin); its sessions end."""
        problems = check_password(password)
        if problems:
            raise AccountError("、".join(problems))
        hashed = self._hasher.hash(password)
        self._changed(name, lambda: self.store.users.set_password_hash(name, hashed, actor=actor, event=True))

    def set_access(self, name: str, *, role: str, agency: str | None, all_agencies: bool, actor: str) -> User:
        """A new role and scope; the account's sessions end. The last enabled admin stays an admin."""
        problems = check_account(name, role, agency, all_agencies)
        if problems:
            raise AccountError("、".join(problems))
        if role != "admin":
            self._keep_an_admin(name)
        try:
            record = self.store.users.set_access(
                name, role=role, agency=agency, all_agencies=all_agencies, actor=actor
            )
        except StoreError as exc:
            raise AccountError(f"アカウント {name} はありません") from exc
        return User.of(record)

    def set_disabled(self, name: str, disabled: bool, *, actor: str) -> None:
        """Disable an account (it cannot sign in, its sessions end) or enable it again."""
        if disabled:
            self._keep_an_admin(name)
        self._changed(name, lambda: self.store.users.set_disabled(name, disabled, actor=actor))

    def _keep_an_admin(self, name: str) -> None:
        admins = [u.name for u in self.all() if u.is_admin and not u.disabled]
        if admins == [name]:
            raise AccountError(f"{name} は最後の管理者です。先に別の管理者を用意してください")

    @staticmethod
    def _changed(name: str, change: Callable[[], None]) -> None:
        try:
            change()
        except StoreError as exc:
            raise AccountError(f"アカウント {name} はありません") from exc

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(password_hash, password))
        except (VerificationError, InvalidHashError):
            return False
