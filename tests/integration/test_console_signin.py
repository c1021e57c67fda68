"""Sign-in and sessions over HTTP (the console app on a real store, Starlette's client from chosen
addresses): the limit per address and in total, no hashing for malformed names, forwarded headers
from configured proxies only, Secure cookies and HSTS, failed sign-ins in the event log, and sessions
that end on the server at sign-out, disabling and account changes."""

from __future__ import annotations

import dataclasses

from argon2 import PasswordHasher
from starlette.testclient import TestClient

from forms.access.accounts import Users
from forms.console.throttle import SignInLimiter
from tests.support.console import PASSWORD, World, client_for, csrf_of, sign_in


class CountingHasher(PasswordHasher):
    """Real argon2id (cheap parameters) that counts the passwords it checks."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.checks = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.checks += 1
        return super().verify(hash, password)


def attempt(client: TestClient, name: str, password: str = "not the password", **headers: str) -> int:
    token = csrf_of(client.get("/signin").text)
    data = {"csrf": token, "name": name, "password": password}
    return client.post("/signin", data=data, headers=headers).status_code


def failed_from(world: World) -> list[tuple[str, str]]:
    return [(e.detail["name"], e.detail["ip"]) for e in world.store.events.newest(["sign_in_failed"], 1000)]


def counting(world: World) -> tuple[World, CountingHasher]:
    """The world with its accounts checked by a counting hasher."""
    hasher = CountingHasher()
    return dataclasses.replace(world, users=Users(world.store, hasher=hasher)), hasher


def test_malformed_names_are_refused_without_hashing_and_recorded(world: World) -> None:
    counted, hasher = counting(world)
    client = client_for(counted, ip="192.0.2.31")
    before = hasher.checks
    for name in ("x" * 300, "名前", "has space", "", "admin\r\nX-Injected: 1"):
        assert attempt(client, name) == 401
    assert hasher.checks == before, "no password was hashed"
    assert attempt(client, "nobody-of-that-name") == 401 and hasher.checks == before + 1
    recorded = failed_from(world)
    assert ("名前", "192.0.2.31") in recorded and ("nobody-of-that-name", "192.0.2.31") in recorded


def test_failures_are_limited_per_address_and_in_total(world: World) -> None:
    w, hasher = counting(world)
    limiter = SignInLimiter(per_ip=3, total=7, window_s=300)
    first = client_for(w, limiter=limiter, ip="198.51.100.1")
    assert [attempt(first, "admin") for _ in range(4)] == [401, 401, 401, 429]
    assert attempt(first, "admin", PASSWORD) == 429, "not even the right password"
    second = client_for(w, limiter=limiter, ip="198.51.100.2")
    assert [attempt(second, "admin") for _ in range(4)] == [401, 401, 401, 429]
    third = client_for(w, limiter=limiter, ip="198.51.100.3")
    assert attempt(third, "admin") == 401
    assert attempt(third, "admin", PASSWORD) == 429, "7 failures in all: everyone waits"
    assert hasher.checks == 7, "the password was checked only within the limits"


def test_forwarded_headers_are_taken_only_from_a_configured_proxy(world: World) -> None:
    proxied = dataclasses.replace(world.settings, trusted_proxies=("192.0.2.0/28",))
    limiter = SignInLimiter(per_ip=2, total=100, window_s=300)
    direct = client_for(
        world, settings=proxied, limiter=limiter, ip="203.0.113.9", base_url="http://127.0.0.1"
    )
    for n in range(3):  # a made-up X-Forwarded-For from a client is ignored: still one address
        code = attempt(direct, "admin", **{"X-Forwarded-For": f"10.0.0.{n}", "X-Forwarded-Proto": "https"})
        assert code == (401 if n < 2 else 429)
    page = direct.get("/signin", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in page.headers
    proxy = client_for(world, settings=proxied, limiter=limiter, ip="192.0.2.1", base_url="http://127.0.0.1")
    for n in range(3):  # through the proxy, each client is itself
        assert attempt(proxy, "admin", **{"X-Forwarded-For": f"198.51.100.{50 + n}"}) == 401
    assert ("admin", "198.51.100.52") in failed_from(world)
    behind = proxy.get("/signin", headers={"X-Forwarded-Proto": "https"})
    assert behind.headers["strict-transport-security"] == "max-age=31536000"
    assert "secure" in behind.headers["set-cookie"].lower()


def test_cookie_secure_is_a_setting(world: World) -> None:
    never = dataclasses.replace(world.settings, cookie_secure="never")
    always = dataclasses.replace(world.settings, cookie_secure="always")
    https = client_for(world, settings=never).get("/signin")
    assert "secure" not in https.headers["set-cookie"].lower()
    assert https.headers["strict-transport-security"] == "max-age=31536000"
    loopback = client_for(world, settings=always, base_url="http://127.0.0.1").get("/signin")
    assert "secure" in loopback.headers["set-cookie"].lower()
    assert "strict-transport-security" not in loopback.headers


def stolen(client: TestClient) -> TestClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    copy = TestClient(client.app, base_url=str(client.base_url), follow_redirects=False)
    copy.cookies.update(client.cookies)
    return copy


def test_sign_out_ends_the_session_on_the_server(world: World) -> None:
    world.users.add("outgoing", role="clerk", agency="jetro", password=PASSWORD)
    client = client_for(world)
    token = sign_in(client, "outgoing")
    copy = stolen(client)
    assert copy.get("/queue").status_code == 200
    assert client.post("/signout", data={"csrf": token}).status_code == 303
    assert copy.get("/queue").status_code == 303, "the copied cookie is no session any more"
    assert "signed_out" in [e.kind for e in world.store.events.newest(["signed_out"], 10)]


def test_an_admin_disables_changes_and_resets_accounts_and_their_sessions_end(world: World) -> None:
    world.users.add("tanaka", role="clerk", agency="scb", password=PASSWORD)
    clerk = client_for(world)
    sign_in(clerk, "tanaka")
    admin = client_for(world)
    token = sign_in(admin, "admin")
    assert "tanaka" in admin.get("/accounts").text
    changed = admin.post("/accounts/tanaka/access", data={"csrf": token, "role": "clerk", "scope": "jetro"})
    assert changed.status_code == 303 and clerk.get("/queue").status_code == 303
    sign_in(clerk, "tanaka")
    assert "株式会社サンプル精機" in clerk.get("/queue?status=all").text, "jetro's intakes now"
    new = "a new password for tanaka"
    data = {"csrf": token, "password": new, "password_again": new}
    assert admin.post("/accounts/tanaka/password", data=data).status_code == 303
    assert clerk.get("/queue").status_code == 303 and attempt(clerk, "tanaka", PASSWORD) == 401
    sign_in(clerk, "tanaka", new)
    assert admin.post("/accounts/tanaka/disable", data={"csrf": token, "disabled": "1"}).status_code == 303
    assert clerk.get("/queue").status_code == 303 and attempt(clerk, "tanaka", new) == 401
    kinds = [(e.kind, e.actor) for e in world.users.account_events(50) if e.detail.get("name") == "tanaka"]
    assert {("user_changed", "admin"), ("password_changed", "admin"), ("user_disabled", "admin")} <= set(
        kinds
    )
    assert ("sign_in_failed", "-") in kinds


def test_the_accounts_page_is_for_admins_and_refuses_a_clerk_without_a_scope(world: World) -> None:
    clerk = client_for(world)
    sign_in(clerk, "jetro-clerk")
    assert clerk.get("/accounts").status_code == 403
    admin = client_for(world)
    token = sign_in(admin, "admin")
    data = {"csrf": token, "name": "nobody-scoped", "role": "clerk", "scope": "", "password": PASSWORD}
    refused = admin.post("/accounts", data={**data, "password_again": PASSWORD})
    assert refused.status_code == 409 and "担当の支援機関" in refused.text
    assert world.users.get("nobody-scoped") is None
    made = admin.post("/accounts", data={**data, "scope": "*", "password_again": PASSWORD})
    assert made.status_code == 303 and world.users.get("nobody-scoped") is not None
