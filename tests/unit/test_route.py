"""route(): which messages a decision sends, parsed back with the stdlib e-mail parser."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import shutil
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from forms.deliver.message import build_message
from forms.errors import Code, ConfigError, TemplateError
from forms.intake.mime import parse_mail
from forms.jp.wareki import wareki
from forms.model import Decision, Mail, OutgoingMessage, Reason, Status
from forms.pipeline import Pipeline
from forms.route import MailTemplates, RouteContext, route

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "templates" / "mail"
SAMPLES = REPO.parent / "shared" / "samples"
JST = dt.timezone(dt.timedelta(hours=9))
AGENCY_INBOXES = {
    "jetro": "jetro-inbox@example.jp",
    "scb": "scb-inbox@example.jp",
    "kosha": "kosha-inbox@example.jp",
}
BANK_MAIL = (SAMPLES / "jetro-bank.eml").read_bytes()
PDF = ("様式1_株式会社サンプル精機.pdf", (SAMPLES / "jetro-fillable.pdf").read_bytes())


def _fields() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in json.loads((SAMPLES / "jetro-bank.expected.json").read_text("utf-8"))["fields"].items():
        out[key] = dt.date.fromisoformat(value) if key in ("applied_on", "loan_date") else value
    return out


def decision(status: Status = Status.ROUTED, agency: str | None = "jetro", **changes: Any) -> Decision:
    reasons = changes.pop("reasons", ())
    fields = {**_fields(), **changes}
    return Decision(
        "<sample-jetro-bank@mihon-bank.example.jp>",
        status,
        agency,
        tuple(reasons),
        MappingProxyType(fields),
        attachment=PDF[0],
    )


def context(**changes: Any) -> RouteContext:
    values: dict[str, Any] = {
        "reference": "R8-000123",
        "received_at": dt.datetime(2026, 5, 12, 10, 30, tzinfo=JST),
        "mailroom_address": "mailroom@example.jp",
        "agency_addresses": AGENCY_INBOXES,
        "message_id_domain": "mailroom.example.jp",
        **changes,
    }
    return RouteContext(**values)


@pytest.fixture(scope="module")
def templates() -> MailTemplates:
    return MailTemplates.load(TEMPLATES)


@pytest.fixture(scope="module")
def mail() -> Mail:
    return parse_mail(BANK_MAIL)


def parsed(out: OutgoingMessage) -> EmailMessage:
    msg = email.message_from_bytes(out.raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def body_of(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return part.get_content()


def by_kind(messages: list[OutgoingMessage]) -> dict[str, OutgoingMessage]:
    return {m.kind: m for m in messages}


# -- what is sent for each status ------------------------------------------------------------------


def test_routed_forwards_to_the_agency_with_pdf_and_decision_json(
    templates: MailTemplates, mail: Mail
) -> None:
    d = decision()
    out = by_kind(route(d, mail, PDF, context(), templates))
    assert set(out) == {"agency_forward", "bank_receipt"}
    fwd = out["agency_forward"]
    assert fwd.recipients == ("jetro-inbox@example.jp",)
    assert fwd.message_id == "<R8-000123.agency_forward@mailroom.example.jp>"
    msg = parsed(fwd)
    assert msg["To"] == "jetro-inbox@example.jp"
    assert msg["From"] == "mailroom@example.jp"
    assert msg["Message-ID"] == fwd.message_id
    assert msg["Auto-Submitted"] == "auto-generated"  # no responder of the agency's answers it (RFC 3834)
    assert "R8-000123" in msg["Subject"] and "株式会社サンプル精機" in msg["Subject"]
    attachments = {a.get_filename(): a for a in msg.iter_attachments()}
    assert set(attachments) == {"様式1_株式会社サンプル精機.pdf", "decision.json"}
    assert attachments["様式1_株式会社サンプル精機.pdf"].get_content_type() == "application/pdf"
    assert attachments["様式1_株式会社サンプル精機.pdf"].get_content() == PDF[1]
    assert attachments["decision.json"].get_content_type() == "application/json"
    assert json.loads(attachments["decision.json"].get_content()) == d.to_json()
    body = body_of(msg)
    assert "資本金（円）：30,000,000円" in body
    assert "申込日：令和8年5月12日" in body
    assert "令和8年5月21日（木）" in body  # the agency sees its contact deadline too


def test_routed_receipt_answers_the_banks_mail_with_reference_and_deadline(
    templates: MailTemplates, mail: Mail
) -> None:
    receipt = by_kind(route(decision(), mail, PDF, context(), templates))["bank_receipt"]
    assert receipt.recipients == ("kaigai@mihon-bank.example.jp",)
    msg = parsed(receipt)
    assert msg["To"] == "kaigai@mihon-bank.example.jp"
    assert msg["In-Reply-To"] == "<sample-jetro-bank@mihon-bank.example.jp>"
    assert msg["References"] == "<sample-jetro-bank@mihon-bank.example.jp>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["Message-ID"] == "<R8-000123.bank_receipt@mailroom.example.jp>"
    assert "R8-000123" in msg["Subject"]
    body = body_of(msg)
    assert "受付番号　：R8-000123" in body
    assert "令和8年5月21日（木）まで" in body  # 5/12 + 7 business days
    assert "例示 一郎 様" in body
    assert list(msg.iter_attachments()) == []


def test_deadline_is_counted_in_japan_time_and_skips_golden_week(
    templates: MailTemplates, mail: Mail
) -> None:
    # 2026-04-30 20:00 UTC is already Friday 5/1 in Tokyo: 5/7 8 11 12 13 14 15
    ctx = context(received_at=dt.datetime(2026, 4, 30, 20, 0, tzinfo=dt.UTC))
    body = body_of(parsed(by_kind(route(decision(), mail, PDF, ctx, templates))["bank_receipt"]))
    assert "令和8年5月15日（金）まで" in body
    assert "受付日　　：令和8年5月1日（金）" in body


def test_kosha_gets_no_contact_deadline(templates: MailTemplates, mail: Mail) -> None:
    out = by_kind(route(decision(agency="kosha"), mail, PDF, context(), templates))
    assert out["agency_forward"].recipients == ("kosha-inbox@example.jp",)
    body = body_of(parsed(out["bank_receipt"]))
    assert "連絡の目安" not in body and "東京都中小企業振興公社" in body


def test_rejected_lists_every_failure_to_the_bank(templates: MailTemplates, mail: Mail) -> None:
    reasons = (
        Reason(
            Code.FIELD_MISSING,
            "bank_email",
            "「金融機関E-mail」が記入されていません。記入のうえ、再度送付してください。",
        ),
        Reason(
            Code.NOT_SME, None, "中小企業者の要件を満たしていません。資本金及び従業員数を確認してください。"
        ),
        Reason(Code.SMALL_BUSINESS, None, "（お知らせ）小規模企業者に該当します。"),
    )
    out = route(decision(Status.REJECTED, reasons=reasons), mail, PDF, context(), templates)
    assert [m.kind for m in out] == ["bank_rejection"]
    msg = parsed(out[0])
    assert out[0].recipients == ("kaigai@mihon-bank.example.jp",)
    assert msg["In-Reply-To"] == "<sample-jetro-bank@mihon-bank.example.jp>"
    assert "要修正" in msg["Subject"] and "R8-000123" in msg["Subject"]
    body = body_of(msg)
    assert "1. 【金融機関E-mail】「金融機関E-mail」が記入されていません。" in body
    assert "2. 中小企業者の要件を満たしていません。" in body
    assert "3." not in body  # the informational note is not a failure
    assert "・（お知らせ）小規模企業者に該当します。" in body


def test_needs_review_tells_the_bank_it_is_being_checked(templates: MailTemplates, mail: Mail) -> None:
    reasons = (Reason(Code.FORM_NOT_FOUND, None, "様式1が見つかりませんでした。"),)
    d = Decision("<x@example.jp>", Status.NEEDS_REVIEW, None, reasons)
    out = route(d, mail, None, context(), templates)
    assert [m.kind for m in out] == ["bank_review"]
    msg = parsed(out[0])
    assert "確認中" in msg["Subject"]
    body = body_of(msg)
    assert "担当者が確認しています" in body and "・様式1が見つかりませんでした。" in body
    assert "御担当者様" in body  # no bank officer known


def test_duplicate_sends_nothing(templates: MailTemplates, mail: Mail) -> None:
    assert route(decision(Status.DUPLICATE), mail, PDF, context(), templates) == []


def test_without_a_mail_only_the_agency_is_written_to(templates: MailTemplates) -> None:
    assert [m.kind for m in route(decision(), None, PDF, context(), templates)] == ["agency_forward"]
    assert route(decision(Status.REJECTED), None, PDF, context(), templates) == []


def test_routed_agency_without_inbox_is_a_configuration_error(templates: MailTemplates, mail: Mail) -> None:
    with pytest.raises(ConfigError, match="jetro"):
        route(decision(), mail, PDF, context(agency_addresses={"scb": "scb-inbox@example.jp"}), templates)


def test_same_inputs_give_the_same_messages(templates: MailTemplates, mail: Mail) -> None:
    first = route(decision(), mail, PDF, context(), templates)
    second = route(decision(), mail, PDF, context(), templates)
    assert [m.raw for m in first] == [m.raw for m in second]
    assert [m.message_id for m in first] == [
        "<R8-000123.agency_forward@mailroom.example.jp>",
        "<R8-000123.bank_receipt@mailroom.example.jp>",
    ]


# -- hostile values --------------------------------------------------------------------------------


def test_header_injection_through_a_field_stays_in_one_header(templates: MailTemplates, mail: Mail) -> None:
    d = decision(company_name="悪意商事\r\nBcc: evil@example.jp\nX-Evil: 1")
    for out in route(d, mail, PDF, context(), templates):
        msg = parsed(out)
        assert msg["Bcc"] is None and msg["X-Evil"] is None
        assert msg.get_all("To") == [", ".join(out.recipients)]
    subject = parsed(route(d, mail, PDF, context(), templates)[0])["Subject"]
    assert "悪意商事 Bcc: evil@example.jp X-Evil: 1" in subject


def test_build_message_subject_injection_is_impossible() -> None:
    raw = build_message(
        sender="mailroom@example.jp",
        recipients=["bank@example.jp"],
        subject="x\r\nBcc: evil@example.jp",
        body="本文\r\n.\r\nMAIL FROM:<evil@example.jp>\n",
        message_id="<a.b@example.jp>",
    )
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Bcc"] is None
    assert msg["Subject"] == "x Bcc: evil@example.jp"
    assert b"\r\nBcc:" not in raw and b"\nMAIL FROM" not in raw


@pytest.mark.parametrize(
    "bad", ["evil@example.jp\r\nBcc: x@example.jp", "a@example.jp, b@example.jp", "no-at-sign"]
)
def test_build_message_refuses_malformed_addresses(bad: str) -> None:
    with pytest.raises(ValueError):
        build_message(
            sender="mailroom@example.jp",
            recipients=[bad],
            subject="s",
            body="b",
            message_id="<a.b@example.jp>",
        )


def test_hostile_sender_address_gets_no_reply(templates: MailTemplates, mail: Mail) -> None:
    hostile = replace(mail, from_addr="bank@example.jp\r\nBcc: evil@example.jp")
    assert [m.kind for m in route(decision(), hostile, PDF, context(), templates)] == ["agency_forward"]
    looping = replace(mail, from_addr="MailRoom@example.jp")
    assert [m.kind for m in route(decision(), looping, PDF, context(), templates)] == ["agency_forward"]


def test_hostile_attachment_name_is_made_safe(templates: MailTemplates, mail: Mail) -> None:
    pdf = ("../../etc/\x00passwd\r\nX-Evil: 1", PDF[1])
    msg = parsed(route(decision(), mail, pdf, context(), templates)[0])
    names = [a.get_filename() for a in msg.iter_attachments()]
    assert names == ["passwdX-Evil_ 1.pdf", "decision.json"]  # no directories, no controls, .pdf
    assert msg["X-Evil"] is None


def test_template_code_in_values_is_printed_literally(templates: MailTemplates, mail: Mail) -> None:
    d = decision(company_name="{{ 7*7 }}{% raw %}", consultation="{{ ''.__class__.__mro__ }} =1+1")
    out = by_kind(route(d, mail, PDF, context(), templates))
    fwd = parsed(out["agency_forward"])
    assert "{{ 7*7 }}{% raw %}" in fwd["Subject"]
    body = body_of(fwd)
    assert "企業名（屋号）：{{ 7*7 }}{% raw %}" in body
    assert "相談内容：{{ ''.__class__.__mro__ }} =1+1" in body
    assert "49" not in body
    assert "企業名　　：{{ 7*7 }}{% raw %}" in body_of(parsed(out["bank_receipt"]))


def test_wareki() -> None:
    assert wareki(dt.date(2026, 5, 21)) == "令和8年5月21日（木）"
    assert wareki(dt.date(2019, 5, 1), weekday=False) == "令和元年5月1日"
    assert wareki(dt.date(2019, 4, 30), weekday=False) == "平成31年4月30日"


# -- broken templates ------------------------------------------------------------------------------


def template_copy(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "mail"
    shutil.copytree(TEMPLATES, folder)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    text = "{% block subject %}件名{% endblock %}\n{% block body %}\n一行目\n{% if %}\n{% endblock %}\n"
    folder = template_copy(tmp_path, "bank_review.j2", text)
    with pytest.raises(TemplateError, match=r"bank_review\.j2:4: "):
        MailTemplates.load(folder)


def test_missing_block_and_missing_file_are_named(tmp_path: Path) -> None:
    folder = template_copy(tmp_path, "bank_receipt.j2", "{% block subject %}件名{% endblock %}\n本文\n")
    with pytest.raises(TemplateError, match=r"bank_receipt\.j2: no \{% block body %\}"):
        MailTemplates.load(folder)
    (folder / "bank_receipt.j2").unlink()
    with pytest.raises(TemplateError, match=r"bank_receipt\.j2: template missing"):
        MailTemplates.load(folder)


def test_unknown_variable_names_file_and_line(tmp_path: Path, mail: Mail) -> None:
    text = (
        "{% block subject %}件名{% endblock %}\n{% block body %}\n一行目\n{{ no_such_thing }}\n"
        "{% endblock %}\n"
    )
    loaded = MailTemplates.load(template_copy(tmp_path, "bank_receipt.j2", text))
    with pytest.raises(TemplateError, match=r"bank_receipt\.j2:4: .*no_such_thing"):
        route(decision(), mail, PDF, context(), loaded)


def test_the_sandbox_refuses_python_internals(tmp_path: Path, mail: Mail) -> None:
    text = (
        "{% block subject %}{{ reference.__class__.__mro__[1].__subclasses__() }}{% endblock %}"
        "{% block body %}{% endblock %}"
    )
    loaded = MailTemplates.load(template_copy(tmp_path, "bank_receipt.j2", text))
    with pytest.raises(TemplateError, match=r"bank_receipt\.j2:1: "):
        route(decision(), mail, PDF, context(), loaded)


# -- with the real pipeline ------------------------------------------------------------------------


def test_a_real_sample_mail_routes_with_its_own_pdf(pipeline: Pipeline, templates: MailTemplates) -> None:
    outcome = pipeline.examine(
        BANK_MAIL, source="jetro-bank.eml", received_at=dt.datetime(2026, 5, 12, 9, 0, tzinfo=JST)
    )
    d = outcome.decision
    assert d.status is Status.ROUTED and outcome.form_name is not None and outcome.form_bytes is not None
    out = by_kind(route(d, outcome.mail, (outcome.form_name, outcome.form_bytes), context(), templates))
    fwd = parsed(out["agency_forward"])
    attachments = {a.get_filename(): a.get_content() for a in fwd.iter_attachments()}
    assert attachments["様式1_株式会社サンプル精機.pdf"] == PDF[1]  # the very PDF the bank sent
    assert json.loads(attachments["decision.json"]) == d.to_json()
    assert parsed(out["bank_receipt"])["In-Reply-To"] == "<sample-jetro-bank@mihon-bank.example.jp>"
    assert "令和8年5月21日（木）" in body_of(parsed(out["bank_receipt"]))
