"""A bank that wrote before: its e-mailed 様式1, decided, makes its address known, and its next 様式1 by
a standard-resolution fax — where two readings of an address are no evidence — has the address vouched
for by that earlier intake (KNOWN_ADDRESS, forms.correspondents), through the real mailroom (a gateway's
mail in the spool, the OCR reader, the store). A mailroom that never heard from the bank has only what the
form itself says of the address."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from forms.mailroom.worker import Mailroom
from tests.corpus import mails
from tests.support.mailroom import fax_mail, mailroom_env
from tests.support.paths import SAMPLES
from tests.support.settings import make_settings
from tests.support.smtp_sink import Recorder

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repo"),
]
JETRO = json.loads((SAMPLES / "jetro-fillable.values.json").read_text(encoding="utf-8"))


def decisions(home: Path, port: int, *mail: bytes) -> list[dict[str, Any]]:
    env = mailroom_env(home, port, FORMS_FAX_GATEWAYS=mails.GATEWAY)
    room = Mailroom.open(make_settings(home, **{k: v for k, v in env.items() if k != "FORMS_HOME"}))
    try:
        for one in mail:
            room.spool.put(one, channel="smtp")
            room.drain()  # in order: the fax after the e-mail was decided
        rows = [room.store.intakes.get(i + 1) for i in range(len(mail))]
        return [dict(r.decision or {}) for r in rows if r is not None]
    finally:
        room.close()


def bank_email_evidence(decision: dict[str, Any]) -> dict[str, Any]:
    return dict(decision["certainty"]["bank_email"])


def test_a_banks_fax_after_its_e_mail_has_the_address_it_wrote_from_vouched_for(
    tmp_path: Path, sink: tuple[int, Recorder]
) -> None:
    port, _ = sink
    fax = fax_mail("standard-fax", JETRO, cover=True, mode="standard")
    e_mailed, faxed = decisions(tmp_path / "known", port, (SAMPLES / "jetro-bank.eml").read_bytes(), fax)
    assert e_mailed["status"] == "routed" and e_mailed["fields"]["bank_email"] == JETRO["bank_email"]
    assert faxed["fields"]["bank_email"] == JETRO["bank_email"]
    known = bank_email_evidence(faxed)
    assert known["certain"] and "known_address" in known["evidence"], known
    (first,) = decisions(tmp_path / "first", port, fax)
    cold = bank_email_evidence(first)
    assert "known_address" not in cold["evidence"], cold
