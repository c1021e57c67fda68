"""Console accounts on a real store: argon2id hashes, roles, agency scope, events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from argon2 import PasswordHasher
from sqlalchemy import select, text

from forms.access.accounts import User, Users
from forms.access.scope import Scope
from forms.errors import AccountError
from forms.store import Store
from forms.store.engine import MIGRATIONS, connect
from forms.store.schema import events

FAST = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(Store.default_url(tmp_path)) as s:
        yield s


def test_a_clerk_signs_in_with_the_password_and_only_an_argon2id_hash_is_stored(store: Store) -> None:
    users = Users(store, hasher=FAST)
    added = users.add("hanako", role="clerk", password="correct horse battery", agency="jetro", actor="admin")
    assert added == User("hanako", "clerk", "jetro") and added.scope == Scope.of("jetro")
    record = store.users.get("hanako")
    assert record is not None and record.password_hash.startswith("$argon2id$")
    assert "correct horse" not in record.password_hash
    assert users.authenticate("hanako", "correct horse battery") == added
    assert users.authenticate("hanako", "wrong password!!") is None
    assert users.authenticate("nobody", "correct horse battery") is None


def test_adding_an_account_is_an_event_with_who_added_it(store: Store) -> None:
    Users(store, hasher=FAST).add("taro", role="admin", password="0123456789", actor="cli:root")
    with store.db.reading() as conn:
        rows = list(conn.execute(select(events.c.kind, events.c.actor, events.c.detail)))
    detail = {"name": "taro", "role": "admin", "agency": None, "all_agencies": False}
    assert ("user_added", "cli:root", detail) in [
        tuple(r) for r in rows
    ]


@pytest.mark.parametrize(
    ("name", "role", "password", "agency", "says"),
    [
        ("hanako", "boss", "0123456789", None, "役割"),
        ("hanako", "admin", "0123456789", "jetro", "管理者"),
        ("hanako", "clerk", "0123456789", "nasa", "支援機関"),
        ("hanako", "clerk", "short", None, "10文字"),
        ("has space", "clerk", "0123456789", None, "アカウント名"),
        ("hanako", "clerk", "0123456789", None, "担当の支援機関か「すべての支援機関」"),
    ],
)
def test_a_bad_account_is_refused_with_the_reason(
    store: Store, name: str, role: str, password: str, agency: str | None, says: str
) -> None:
    with pytest.raises(AccountError, match=says):
        Users(store, hasher=FAST).add(name, role=role, password=password, agency=agency)
    assert Users(store, hasher=FAST).all() == []


def test_a_name_is_taken_once(store: Store) -> None:
    users = Users(store, hasher=FAST)
    users.add("hanako", role="clerk", password="0123456789", agency="scb")
    with pytest.raises(AccountError, match="既に"):
        users.add("hanako", role="admin", password="9876543210")
    assert users.get("hanako") == User("hanako", "clerk", "scb")


def test_a_hash_with_old_parameters_is_replaced_at_sign_in(store: Store) -> None:
    Users(store, hasher=FAST).add("hanako", role="clerk", password="0123456789", agency="kosha")
    old = store.users.get("hanako")
    stronger = PasswordHasher(time_cost=2, memory_cost=16 * 1024, parallelism=1)
    assert Users(store, hasher=stronger).authenticate("hanako", "0123456789") is not None
    new = store.users.get("hanako")
    assert old is not None and new is not None and new.password_hash != old.password_hash
    assert "m=16384,t=2" in new.password_hash
    assert Users(store, hasher=stronger).authenticate("hanako", "0123456789") is not None


def test_the_default_hasher_is_argon2id_with_the_libraries_recommended_parameters(store: Store) -> None:
    users = Users(store)
    users.add("admin", role="admin", password="a long admin password")
    record = store.users.get("admin")
    assert record is not None and record.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_every_agency_is_a_scope_given_on_purpose(store: Store) -> None:
    users = Users(store, hasher=FAST)
    everyone = users.add("chief", role="clerk", password="0123456789", all_agencies=True)
    admin = users.add("root", role="admin", password="0123456789")
    assert everyone.scope == admin.scope == Scope.every()
    with pytest.raises(AccountError, match="同時に"):
        users.add("both", role="clerk", password="0123456789", agency="jetro", all_agencies=True)


def test_a_clerk_made_before_scopes_were_explicit_sees_nothing_until_an_admin_sets_it(tmp_path: Path) -> None:
    """A store at revision 0007 holds a clerk without an agency (then: every agency, silently)."""
    url = Store.default_url(tmp_path)
    engine = connect(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0007")
        now = dt.datetime(2026, 5, 1)
        conn.execute(
            text(
                "INSERT INTO users (name, role, agency, password_hash, created_at, updated_at)"
                " VALUES ('old-clerk', 'clerk', NULL, :h, :t, :t)"
            ),
            {"h": FAST.hash("0123456789"), "t": now},
        )
    engine.dispose()
    with Store.open(url) as store:
        users = Users(store, hasher=FAST)
        old = users.authenticate("old-clerk", "0123456789")
        assert old is not None and old.scope == Scope.nothing()
        users.set_access("old-clerk", role="clerk", agency="jetro", all_agencies=False, actor="root")
        assert (users.get("old-clerk") or old).scope == Scope.of("jetro")
