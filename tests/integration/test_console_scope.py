"""Clerks act only within their agency (the console over HTTP, a store the real mailroom filled):
a corrected agency cannot move an intake to another agency, a company's ledger is shown only to the
agencies that dealt with it and only their rows, and a clerk without a scope sees nothing."""

from __future__ import annotations

import datetime as dt

from starlette.testclient import TestClient

from forms.ledger import CompanyKey, SupportRecord
from forms.spec import load_spec
from forms.store.users import UserRecord
from tests.support.console import FAST_ARGON2, PASSWORD, World, client_for, sign_in

JETRO_COMPANY, SCB_COMPANY = "4010001234567", "1010001765432"  # the samples' 法人番号


def corrected_agency(client: TestClient, token: str, intake_id: int, agency: str, action: str = "fix") -> int:
    name = load_spec().fields["agency"].choices[agency]
    return client.post(f"/intakes/{intake_id}/{action}", data={"csrf": token, "f.agency": name}).status_code


def test_a_clerk_cannot_correct_an_intake_into_another_agency(world: World) -> None:
    client = client_for(world)
    token = sign_in(client, "jetro-clerk")
    intake_id = world.ids["jetro_not_in_tokyo"]
    assert corrected_agency(client, token, intake_id, "kosha") == 409
    assert "agency" not in world.store.intakes.corrections(intake_id), "nothing was stored"
    page = client.post(f"/intakes/{intake_id}/route", data={"csrf": token})
    assert page.status_code == 409 and world.store.intakes.get(intake_id).agency == "jetro"  # type: ignore[union-attr]
    admin = client_for(world)
    admin_token = sign_in(admin, "admin")
    assert corrected_agency(admin, admin_token, intake_id, "kosha") == 303, "an admin may"
    assert world.store.intakes.corrections(intake_id)["agency"]
    assert corrected_agency(client, token, intake_id, "scb") == 409


def test_a_companys_ledger_is_shown_only_to_the_agencies_that_dealt_with_it(world: World) -> None:
    world.review.desk.ledger.add_support(  # type: ignore[attr-defined]
        CompanyKey.for_corporation(JETRO_COMPANY),
        SupportRecord("kosha", dt.date(2026, 6, 1), "専門家派遣（公社の記録）", 200_000),
    )
    jetro, scb, admin = client_for(world), client_for(world), client_for(world)
    sign_in(jetro, "jetro-clerk")
    sign_in(scb, "scb-clerk")
    sign_in(admin, "admin")
    assert jetro.get(f"/ledger?company={SCB_COMPANY}").status_code == 404
    assert "見本商事株式会社" not in jetro.get(f"/ledger?company={SCB_COMPANY}").text
    assert scb.get(f"/ledger?company={SCB_COMPANY}").status_code == 200
    own = jetro.get(f"/ledger?company={JETRO_COMPANY}")
    assert own.status_code == 200 and "利用可能残額" in own.text
    assert "専門家派遣（公社の記録）" not in own.text and "担当外の支援機関による支援 1 件" in own.text
    whole = admin.get(f"/ledger?company={JETRO_COMPANY}").text
    assert "専門家派遣（公社の記録）" in whole
    assert scb.get(f"/ledger?company={JETRO_COMPANY}").status_code == 404


def test_a_clerk_without_a_scope_sees_nothing_until_an_admin_sets_one(world: World) -> None:
    hashed = FAST_ARGON2.hash(PASSWORD)
    world.store.users.add(UserRecord("legacy-clerk", "clerk", None, hashed), actor="before-0008")
    client = client_for(world)
    sign_in(client, "legacy-clerk")
    queue = client.get("/queue?status=all").text
    assert "担当の支援機関が設定されていない" in queue and "株式会社サンプル精機" not in queue
    assert client.get(f"/intakes/{world.ids['jetro_routed']}").status_code == 404
    assert client.get(f"/ledger?company={JETRO_COMPANY}").status_code == 404
    world.users.set_access("legacy-clerk", role="clerk", agency="jetro", all_agencies=False, actor="admin")
    client = client_for(world)
    sign_in(client, "legacy-clerk")
    assert "株式会社サンプル精機" in client.get("/queue?status=all").text
