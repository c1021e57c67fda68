"""The agencies' API over HTTP on the console world (real store, real PDFs): every response validated
against the OpenAPI description it serves; another agency's submission is 403, a revoked or unknown
token 401; paginated; rate-limited."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from forms.access.tokens import Tokens
from forms.cli.main import main as forms_main
from forms.console import create_app
from tests.support.console import SECRET, World, client_for, sign_in
from tests.support.openapi import Described
from tests.support.paths import SAMPLES


@pytest.fixture(scope="module")
def api(world: World) -> Iterator[tuple[TestClient, Described, dict[str, str]]]:
    tokens = Tokens(world.store)
    made = {agency: tokens.create(agency, label="test", actor="admin")[1] for agency in ("jetro", "scb")}
    client = client_for(world)
    described = Described(client.get("/api/v1/openapi.json").json())
    yield client, described, made


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_agency_reads_its_submissions_fields_decision_and_pdf(world: World, api) -> None:  # type: ignore[no-untyped-def]
    client, described, tokens = api
    listed = described.check(client.get("/api/v1/submissions", headers=bearer(tokens["jetro"]))).json()
    assert listed["agency"] == "jetro" and listed["total"] >= 1
    assert {i["agency"] for i in listed["items"]} == {"jetro"}
    row = world.store.intakes.get(world.ids["jetro_routed"])
    assert row is not None and row.reference in [i["reference"] for i in listed["items"]]
    one = described.check(
        client.get(f"/api/v1/submissions/{row.reference}", headers=bearer(tokens["jetro"]))
    ).json()
    assert one["decision"]["fields"] == row.decision["fields"]  # type: ignore[index]
    assert one["decision"]["status"] == "routed" and one["deadline_status"] in (
        "open",
        "due_today",
        "overdue",
    )
    pdf = described.check(client.get(one["original_pdf"], headers=bearer(tokens["jetro"])))
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == (SAMPLES / "jetro-fillable.pdf").read_bytes()


def test_another_agencys_token_is_refused_with_403_and_a_revoked_one_with_401(world: World, api) -> None:  # type: ignore[no-untyped-def]
    client, described, tokens = api
    scb_ref = world.store.intakes.get(world.ids["scb_routed"]).reference  # type: ignore[union-attr]
    for path in (f"/api/v1/submissions/{scb_ref}", f"/api/v1/submissions/{scb_ref}/original.pdf"):
        refused = described.check(client.get(path, headers=bearer(tokens["jetro"])))
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert (
        described.check(
            client.get(f"/api/v1/submissions/{scb_ref}", headers=bearer(tokens["scb"]))
        ).status_code
        == 200
    )
    assert (
        described.check(
            client.get("/api/v1/submissions/R8-999999", headers=bearer(tokens["scb"]))
        ).status_code
        == 404
    )
    for headers in ({}, bearer("forms_not-a-token"), {"Authorization": "Basic eDp5"}):
        nobody = described.check(client.get("/api/v1/submissions", headers=headers))
        assert nobody.status_code == 401 and nobody.headers["www-authenticate"].startswith("Bearer")
    revoked, token = Tokens(world.store).create("jetro", label="to revoke", actor="admin")
    assert client.get("/api/v1/submissions", headers=bearer(token)).status_code == 200
    Tokens(world.store).revoke(revoked.id, actor="admin")
    after = described.check(client.get("/api/v1/submissions", headers=bearer(token)))
    assert after.status_code == 401 and after.json()["error"] == "unauthorized"


def test_the_list_is_paginated(world: World, api) -> None:  # type: ignore[no-untyped-def]
    client, described, tokens = api
    first = described.check(
        client.get("/api/v1/submissions", params={"per_page": 1}, headers=bearer(tokens["jetro"]))
    ).json()
    seen = [i["intake_id"] for i in first["items"]]
    page = first
    while page["next"]:
        page = described.check(client.get(page["next"], headers=bearer(tokens["jetro"]))).json()
        seen += [i["intake_id"] for i in page["items"]]
    assert len(seen) == first["total"] == len(set(seen)) and first["per_page"] == 1
    bad = described.check(
        client.get("/api/v1/submissions", params={"since": "yesterday"}, headers=bearer(tokens["jetro"]))
    )
    assert bad.status_code == 400


def test_a_token_is_rate_limited(world: World, api) -> None:  # type: ignore[no-untyped-def]
    _, described, _ = api
    _, token = Tokens(world.store).create("scb", label="limited", actor="admin")  # a budget of its own
    settings = dataclasses.replace(world.settings, api_rate_per_minute=1, api_burst=2)
    app = create_app(settings, review=world.review, accounts=world.users, secret=SECRET)
    client = TestClient(app, base_url="https://testserver")
    codes = [client.get("/api/v1/submissions", headers=bearer(token)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = described.check(client.get("/api/v1/submissions", headers=bearer(token)))
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


def test_only_an_admin_manages_tokens_in_the_console(world: World, admin: tuple[TestClient, str]) -> None:
    clerk = client_for(world)
    token = sign_in(clerk, "jetro-clerk")
    assert clerk.get("/tokens").status_code == 403
    assert clerk.post("/tokens", data={"csrf": token, "agency": "jetro"}).status_code == 403
    client, csrf = admin
    made = client.post("/tokens", data={"csrf": csrf, "agency": "kosha", "label": "公社のシステム"})
    assert made.status_code == 200 and "forms_" in made.text
    record = next(r for r in Tokens(world.store).all() if r.label == "公社のシステム")
    assert client.post(f"/tokens/{record.id}/revoke", data={"csrf": csrf}).status_code == 303
    assert next(r for r in Tokens(world.store).all() if r.id == record.id).revoked_by == "admin"


def test_tokens_from_the_command_line(
    world: World, api, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    client, described, _ = api
    monkeypatch.setenv("FORMS_HOME", str(world.settings.home))
    assert forms_main(["token", "add", "--agency", "scb", "--label", "信金中金の連携"]) == 0
    token = capsys.readouterr().out.split()[-1]
    assert described.check(client.get("/api/v1/submissions", headers=bearer(token))).status_code == 200
    assert forms_main(["token", "list", "--json"]) == 0
    made = next(t for t in json.loads(capsys.readouterr().out) if t["label"] == "信金中金の連携")
    assert forms_main(["token", "revoke", str(made["id"])]) == 0
    assert described.check(client.get("/api/v1/submissions", headers=bearer(token))).status_code == 401
    assert forms_main(["token", "revoke", str(made["id"])]) == 1  # once
