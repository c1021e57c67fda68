"""The console's buttons that issue a document and queue its mail (the ledger page's 様式2, the intake
page's 様式3), over HTTP with the real store; the mail waits in the outbox for the sender."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from forms.store import OutboxItem
from tests.support.console import World, client_for, sign_in

pytestmark = pytest.mark.slow  # WeasyPrint lays out each PDF with the Japanese font


def queued(world: World, kind: str) -> list[OutboxItem]:
    return [i for i in world.store.outbox.items(state="pending") if i.kind == kind]


def test_youshiki3_is_issued_and_queued_to_the_bank_officer(
    world: World, admin: tuple[TestClient, str]
) -> None:
    client, token = admin
    intake_id = world.ids["jetro_routed"]
    sent = client.post(f"/intakes/{intake_id}/youshiki3", data={"csrf": token, "send": "1"})
    assert sent.status_code == 303 and sent.headers["location"].startswith(f"/intakes/{intake_id}?done=")
    (mail,) = queued(world, "youshiki3")
    assert mail.recipients == ("kaigai@mihon-bank.example.jp",)
    assert b"youshiki1-" in mail.raw and b"youshiki2-jetro-" in mail.raw  # jetro: 様式1 and 様式2 enclosed
    (issued,) = [i for i in world.store.youshiki3.issued() if i.intake_id == intake_id]
    assert issued.reference and issued.reference.encode() in mail.raw
    assert issued.reference in client.get(sent.headers["location"]).text


def test_youshiki2_for_scb_is_queued_to_the_company_with_a_copy_to_the_bank(world: World) -> None:
    form = {"intake": str(world.ids["scb_routed"]), "agency": "scb", "send": "1"}
    form |= {"period_from": "2026-04-01", "period_to": "2026-12-31", "mail_to": ""}
    jetro = client_for(world)
    refused = jetro.post("/ledger/youshiki2", data={"csrf": sign_in(jetro, "jetro-clerk"), **form})
    assert refused.status_code == 403 and queued(world, "youshiki2") == []
    scb = client_for(world)
    done = scb.post("/ledger/youshiki2", data={"csrf": sign_in(scb, "scb-clerk"), **form})
    assert done.status_code == 303 and "/ledger?intake=" in done.headers["location"]
    (mail,) = queued(world, "youshiki2")
    assert mail.recipients == (
        "saburo.shiken@mihon-shoji.example.co.jp",
        "shiro.mihon@sample-shinkin.example.jp",
    )
    assert "送信キューに入れました" in scb.get(done.headers["location"]).text
