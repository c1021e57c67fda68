"""様式2 / 様式3 data builders (pure) and the template engine's rules (sandbox, escaping, errors)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from docx import Document

from forms.documents import BankInfo, CompanyInfo, Issuer
from forms.documents.batch import file_name, template_for
from forms.documents.render import PdfEngine, context_of, environment, render_docx, wareki_date, yen
from forms.documents.youshiki2 import SupportRow, Youshiki2, supports_for_report, youshiki2_data
from forms.documents.youshiki3 import Youshiki3, due_date, youshiki3_data
from forms.errors import TemplateError
from forms.ledger import CompanyLedger, FrameGrant, LoanRecord, SupportRecord
from forms.rules.loader import load_rulebooks
from forms.rules.schema import Youshiki3Due

RULEBOOK = load_rulebooks().for_date(dt.date(2026, 6, 1))
CAP = RULEBOOK.shared_cap.cap_per_frame_yen
COMPANY = CompanyInfo(
    "株式会社見本製作所", "4010001234567", "代表取締役 見本太郎", "144-0052", "東京都大田区蒲田5-1-1"
)
BANK = BankInfo("サンプル信用金庫", "蒲田支店", "信金花子")
PERIOD = (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
JUNE = dt.date(2026, 6, 10)


def support(
    agency: str, cost: int, day: dt.date = JUNE, service: str = "海外ミニ調査サービス"
) -> SupportRecord:
    return SupportRecord(agency, day, service, cost)


def ledger(*supports: SupportRecord, grants: int = 0, loans: tuple[LoanRecord, ...] = ()) -> CompanyLedger:
    frames = tuple(FrameGrant(dt.date(2026, 9, 1)) for _ in range(grants))
    return CompanyLedger(supports, loans, frames, CAP)


def report(book: CompanyLedger, agency: str = "jetro", period: tuple[dt.date, dt.date] = PERIOD) -> Youshiki2:
    return youshiki2_data(
        company=COMPANY,
        bank=BANK,
        agency=agency,
        rulebook=RULEBOOK,
        ledger=book,
        supports=supports_for_report(book, agency, period),
        period=period,
        issued_on=dt.date(2026, 7, 3),
        navigator="海外太郎",
    )


# -- 様式2 ------------------------------------------------------------------------------------------


def test_total_is_the_sum_of_this_reports_rows_and_cumulative_counts_jetro_and_scb_only() -> None:
    book = ledger(
        support("jetro", 300_000, dt.date(2026, 6, 20)),
        support("jetro", 200_000, dt.date(2026, 6, 5)),
        support("scb", 150_000, dt.date(2026, 6, 7)),
        support("kosha", 990_000, dt.date(2026, 6, 8)),
        support("jetro", 50_000, dt.date(2026, 5, 31)),  # before the period: not a row, but counted
    )
    data = report(book)
    assert [r.cost_excl_tax for r in data.rows] == [200_000, 300_000]  # by date, this agency only
    assert [r.number for r in data.rows] == [1, 2]
    assert data.total == 500_000
    assert data.cumulative == 700_000  # jetro 550,000 + scb 150,000; kosha never counts
    assert (data.cap, data.frames, data.remaining, data.over_cap) == (CAP, 1, 300_000, 0)


def test_cap_arithmetic_across_several_reports() -> None:
    first = [support("jetro", 400_000, dt.date(2026, 6, 10))]
    second = [
        *first,
        support("scb", 350_000, dt.date(2026, 7, 2)),
        support("jetro", 250_000, dt.date(2026, 7, 9)),
    ]
    june = report(ledger(*first))
    july = report(ledger(*second), period=(dt.date(2026, 7, 1), dt.date(2026, 7, 31)))
    july_scb = report(ledger(*second), agency="scb", period=(dt.date(2026, 7, 1), dt.date(2026, 7, 31)))
    assert (june.total, june.cumulative, june.remaining) == (400_000, 400_000, 600_000)
    assert (july.total, july.cumulative, july.remaining) == (250_000, 1_000_000, 0)
    assert (july_scb.total, july_scb.cumulative, july_scb.remaining) == (350_000, 1_000_000, 0)
    assert july_scb.copy_to_bank and not july.copy_to_bank


@pytest.mark.parametrize(
    ("used", "remaining", "over"),
    [(999_999, 1, 0), (1_000_000, 0, 0), (1_000_001, 0, 1), (1, 999_999, 0), (0, 1_000_000, 0)],
)
def test_one_yen_edges_of_the_cap(used: int, remaining: int, over: int) -> None:
    data = report(ledger(support("jetro", used)))
    assert (data.total, data.cumulative, data.remaining, data.over_cap) == (used, used, remaining, over)


def test_a_reapplication_frame_doubles_the_cap() -> None:
    book = ledger(
        support("jetro", 1_000_000, dt.date(2026, 4, 10)),
        support("scb", 400_000, dt.date(2026, 6, 10)),
        grants=1,
        loans=(LoanRecord(dt.date(2026, 5, 1), 30_000_000),),
    )
    data = report(book, agency="scb")
    assert (data.frames, data.cap, data.cumulative, data.remaining) == (2, 2 * CAP, 1_400_000, 600_000)
    assert data.total == 400_000


def test_only_jetro_and_scb_issue_it_and_the_period_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="kosha"):
        report(ledger(), agency="kosha")
    with pytest.raises(ValueError, match="before it starts"):
        report(ledger(), period=(dt.date(2026, 7, 1), dt.date(2026, 6, 1)))


def test_the_issuer_is_the_rulebooks_agency_with_its_return_address() -> None:
    issuer = Issuer.from_rulebook(RULEBOOK, "jetro")
    assert issuer.post.startswith("〒107-6006")
    assert issuer.fax == "03-3582-0504"
    with pytest.raises(ValueError, match="no agency"):
        Issuer.from_rulebook(RULEBOOK, "nasa")


# -- 様式3 ------------------------------------------------------------------------------------------

FIELDS: dict[str, object] = {
    "company_name": "見本商事株式会社",
    "corporate_number": "4010001234567",
    "hq_postal_code": "100-0001",
    "hq_address": "東京都千代田区千代田1-1",
    "bank_name": "見本銀行",
    "bank_branch": "本店",
    "bank_officer": "銀行一郎",
    "loan_status": "planned",
    "loan_menu": "海外展開支援融資",
    "loan_amount_yen": 50_000_000,
    "loan_date": "2026-07-01",  # as decision.json keeps it
    "applied_on": dt.date(2026, 5, 1),
}


@pytest.mark.parametrize(
    ("issued", "due"),
    [
        (dt.date(2026, 8, 3), dt.date(2026, 9, 30)),
        (dt.date(2026, 12, 15), dt.date(2027, 1, 31)),
        (dt.date(2027, 1, 31), dt.date(2027, 2, 28)),
        (dt.date(2028, 1, 1), dt.date(2028, 2, 29)),
    ],
)
def test_due_date_is_the_last_day_of_the_month_after_issue(issued: dt.date, due: dt.date) -> None:
    assert due_date(issued, RULEBOOK.youshiki3_due) == due
    assert (
        youshiki3_data(youshiki1_fields=FIELDS, agency="jetro", rulebook=RULEBOOK, issued_on=issued).due_on
        == due
    )


def test_due_date_is_configurable() -> None:
    rule = Youshiki3Due(source="test", months_after_issue=2, day=31)
    assert due_date(dt.date(2026, 12, 1), rule) == dt.date(2027, 2, 28)
    given = youshiki3_data(
        youshiki1_fields=FIELDS, agency="scb", rulebook=RULEBOOK, issued_on=JUNE, due_on=dt.date(2026, 6, 20)
    )
    assert given.due_on == dt.date(2026, 6, 20)


def test_youshiki3_is_prefilled_from_youshiki1() -> None:
    data = youshiki3_data(youshiki1_fields=FIELDS, agency="jetro", rulebook=RULEBOOK, issued_on=JUNE)
    assert (data.bank.name, data.bank.branch, data.bank.officer) == ("見本銀行", "本店", "銀行一郎")
    assert data.company.name == "見本商事株式会社"
    assert (data.loan_status, data.loan_menu, data.loan_amount) == (
        "利用予定",
        "海外展開支援融資",
        50_000_000,
    )
    assert (data.loan_date, data.applied_on) == (dt.date(2026, 7, 1), dt.date(2026, 5, 1))
    assert data.issuer.post.startswith("〒107-6006")
    assert len(data.enclosures) == 2 and "様式2" in data.enclosures[1]


def test_only_jetro_encloses_youshiki1_and_2() -> None:
    data = youshiki3_data(youshiki1_fields=FIELDS, agency="scb", rulebook=RULEBOOK, issued_on=JUNE)
    assert data.enclosures == ()
    assert data.issuer.fax == "03-3278-7035"


def test_missing_youshiki1_values_are_blank_not_errors() -> None:
    data = youshiki3_data(
        youshiki1_fields={"loan_date": "令和8年13月1日"}, agency="jetro", rulebook=RULEBOOK, issued_on=JUNE
    )
    assert (data.bank.name, data.loan_amount, data.loan_date, data.loan_status) == ("", None, None, "")


# -- the engine -------------------------------------------------------------------------------------


def test_filters_show_yen_with_separators_and_reiwa_dates() -> None:
    assert yen(1_000_000) == "1,000,000円"
    assert yen(1) == "1円"
    assert yen(0) == "0円"
    assert yen(None) == ""
    assert wareki_date(dt.date(2026, 6, 10)) == "令和8年6月10日"
    assert wareki_date(None) == ""


def test_values_are_data_never_template_code_nor_markup() -> None:
    env = environment()
    company = CompanyInfo("{{ 7*7 }}<script>alert(1)</script>&株式会社", "", "", "", "")
    out = env.from_string("{{ company.name }}").render(company=company)
    assert out == "{{ 7*7 }}&lt;script&gt;alert(1)&lt;/script&gt;&amp;株式会社"
    assert "49" not in out


def test_the_sandbox_refuses_reaching_into_python() -> None:
    env = environment()
    with pytest.raises(Exception, match="unsafe"):
        env.from_string("{{ company.__class__.__mro__ }}").render(company=COMPANY)


def test_control_characters_xml_cannot_hold_are_dropped() -> None:
    out = environment().from_string("{{ v }}").render(v="見本\x00\x0b商店\x1f")
    assert out == "見本商店"


def test_context_is_every_field_of_the_document() -> None:
    data = report(ledger(support("jetro", 1)))
    context = context_of(data)
    assert context["total"] == 1 and context["company"] is COMPANY
    with pytest.raises(TypeError):
        context_of({"total": 1})


def test_html_template_syntax_error_names_template_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "youshiki2.html"
    broken.write_text("<p>\n{{ company.name }}\n{% if total %}\n<p>no endif</p>\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"youshiki2\.html:\d+: .*endif"):
        PdfEngine().html(broken, report(ledger()))


def test_html_template_unknown_variable_names_template_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "youshiki3.html"
    broken.write_text("<p>{{ title }}</p>\n<p>\n{{ no_such_value }}</p>\n", encoding="utf-8")
    data = youshiki3_data(youshiki1_fields=FIELDS, agency="jetro", rulebook=RULEBOOK, issued_on=JUNE)
    with pytest.raises(TemplateError, match=r"youshiki3\.html:3: .*no_such_value"):
        PdfEngine().html(broken, data)


def _docx_with(tmp_path: Path, *paragraphs: str) -> Path:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    path = tmp_path / "youshiki2.docx"
    doc.save(str(path))
    return path


def test_docx_template_syntax_error_names_template_line_and_paragraph(tmp_path: Path) -> None:
    path = _docx_with(tmp_path, "（様式2）", "{{ company.name }}", "合計 {{ total|yen }", "end")
    with pytest.raises(TemplateError, match=r"youshiki2\.docx:4: .*paragraph: '合計"):
        render_docx(path, report(ledger()))


def test_docx_template_unknown_variable_names_template_and_line(tmp_path: Path) -> None:
    path = _docx_with(tmp_path, "（様式2）", "a", "b", "{{ grand_total }}")
    with pytest.raises(TemplateError, match=r"youshiki2\.docx:5: .*grand_total"):
        render_docx(path, report(ledger()))


def test_missing_or_unreadable_template_is_a_template_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="missing"):
        render_docx(tmp_path / "nope.docx", report(ledger()))
    junk = tmp_path / "junk.docx"
    junk.write_bytes(b"not a zip")
    with pytest.raises(TemplateError, match=r"not a readable \.docx"):
        render_docx(junk, report(ledger()))
    with pytest.raises(TemplateError, match="missing"):
        PdfEngine().html(tmp_path / "nope.html", report(ledger()))


def test_file_names_and_templates_follow_the_document() -> None:
    data = report(ledger())
    assert file_name(data, "pdf") == "youshiki2-jetro-4010001234567-20260703.pdf"
    sole = youshiki3_data(
        youshiki1_fields={"company_name": "見本商店"}, agency="scb", rulebook=RULEBOOK, issued_on=JUNE
    )
    name = file_name(sole, "docx")
    assert name.startswith("youshiki3-scb-") and name.endswith("-20260610.docx") and name.isascii()
    assert template_for(data, "pdf").name == "youshiki2.html"
    assert template_for(sole, "docx").name == "youshiki3.docx"
    with pytest.raises(ValueError):
        template_for(data, "odt")


def test_every_template_variable_is_documented() -> None:
    readme = (Path(__file__).resolve().parents[2] / "templates" / "documents" / "README.md").read_text(
        "utf-8"
    )
    names = {f.name for doc in (Youshiki2, Youshiki3) for f in dataclasses.fields(doc)}
    names |= {
        f"{party}.{f.name}"
        for party, cls in (("company", CompanyInfo), ("bank", BankInfo), ("issuer", Issuer))
        for f in dataclasses.fields(cls)
    }
    names |= {f"rows.{f.name}" for f in dataclasses.fields(SupportRow)}
    missing = sorted(n for n in names if f"`{n}`" not in readme and f"`{n.split('.')[-1]}`" not in readme)
    assert missing == []
