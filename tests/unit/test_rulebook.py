"""The rulebook loader, its broken-file fixtures (one per loader error) and the rulebook's data."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from forms.errors import Code, RulebookError
from forms.rules.loader import MESSAGES_FILE, Rulebooks, load_rulebooks, packaged_dir
from forms.rules.schema import Rulebook
from tests.support.rulebooks import r9_text

FIXTURES = Path(__file__).resolve().parent / "rulebooks"
PACKAGED = packaged_dir()


@pytest.fixture(scope="module")
def r8() -> Rulebook:
    return load_rulebooks().for_date(dt.date(2026, 5, 1))


def folder(tmp_path: Path, *files: tuple[Path, str]) -> Path:
    """A rulebook folder in tmp_path holding ``files`` (source, name there)."""
    for src, name in files:
        shutil.copyfile(src, tmp_path / name)
    return tmp_path


def packaged(name: str) -> tuple[Path, str]:
    return PACKAGED / name, name


def fixture(name: str, as_name: str) -> tuple[Path, str]:
    return FIXTURES / name, as_name


# ── the packaged rulebook ────────────────────────────────────────────────────────────────────
def test_packaged_rulebook_is_r8(r8: Rulebook) -> None:
    assert (r8.id, r8.fiscal_year, r8.effective_from) == ("R8", 2026, dt.date(2026, 4, 1))
    assert r8.shared_cap.cap_per_frame_yen == 1_000_000
    assert r8.contact_sla.business_days == 7
    assert (r8.youshiki3_due.months_after_issue, r8.youshiki3_due.day) == (1, "last")


def test_every_value_group_names_its_source(r8: Rulebook) -> None:
    groups = [
        r8.agencies,
        r8.scope,
        r8.loan_scheme,
        r8.sme_limits,
        r8.small_business_limits,
        r8.loan_limits,
        r8.shared_cap,
        r8.contact_sla,
        r8.youshiki3_due,
        r8.industries,
        r8.tokyo,
        r8.prefectures,
    ]
    assert all(g.source.strip() for g in groups)
    assert all(i.source.strip() for i in r8.industries.values.values())


def test_agencies_table(r8: Rulebook) -> None:
    jetro, scb, kosha, smrj = (r8.agency(k) for k in ("jetro", "scb", "kosha", "smrj"))
    assert jetro and scb and kosha and smrj
    assert (jetro.email, jetro.fax) == ("knt-tokyo@jetro.go.jp", "03-3582-0504")
    assert (scb.email, scb.fax) == ("kaigai@e-scb.co.jp", "03-3278-7035")
    assert kosha.email == "ttc@tokyo-kosha.or.jp" and kosha.fax is None
    assert not smrj.takes_bank_applications and smrj.email is None
    assert smrj.guidance_url == "https://www.smrj.go.jp/sme/overseas/consulting/advice/index.html"
    assert r8.capped_agencies == {"jetro", "scb"}


def test_limits(r8: Rulebook) -> None:
    limits = {k: (v.capital_yen, v.employees) for k, v in r8.sme_limits.values.items()}
    assert limits == {
        "manufacturing_other": (300_000_000, 300),
        "wholesale": (100_000_000, 100),
        "retail": (50_000_000, 50),
        "service": (50_000_000, 100),
    }
    assert r8.small_business_limits.values == {
        "manufacturing_other": 20,
        "wholesale": 5,
        "retail": 5,
        "service": 5,
    }
    assert (r8.loan_limit("corporation"), r8.loan_limit("cooperative"), r8.loan_limit(None)) == (
        280_000_000,
        480_000_000,
        280_000_000,
    )


def test_scope_as_data(r8: Rulebook) -> None:
    assert r8.applies("in_tokyo", "kosha") and not r8.applies("in_tokyo", "smrj")
    assert r8.applies("sme", "scb") and not r8.applies("sme", "kosha")
    assert r8.applies("scb_requires_shinkin", "scb") and not r8.applies("scb_requires_shinkin", "jetro")
    assert not r8.applies("sme", None)


# ── messages ─────────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("code", list(Code))
def test_every_code_has_a_japanese_message(r8: Rulebook, code: Code) -> None:
    text = r8.message(code, label="本社所在地")
    assert text != str(code)
    assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


def test_message_renders_named_params(r8: Rulebook) -> None:
    text = r8.message(
        Code.LOAN_AMOUNT_OVER_LIMIT, label="融資額（予定額）（円）", value=280_000_001, limit=280_000_000
    )
    assert "融資額（予定額）（円）" in text and "280,000,001" in text and "280,000,000円" in text


def test_missing_params_leave_a_readable_text(r8: Rulebook) -> None:
    text = r8.message(Code.NOT_SME)
    assert "{capital_limit}" in text and "中小企業者" in text
    assert "{" not in r8.message(Code.FIELD_MISSING, label="申込日")


def test_param_of_the_wrong_type_does_not_crash(r8: Rulebook) -> None:
    assert "abc" in r8.message(Code.LOAN_AMOUNT_OVER_LIMIT, label="x", value="abc", limit=1)


def test_param_text_is_never_evaluated(r8: Rulebook) -> None:
    text = r8.message(Code.FIELD_MISSING, label="{{ 7*7 }} {label.__class__}")
    assert "{{ 7*7 }} {label.__class__}" in text


# ── selection by date ────────────────────────────────────────────────────────────────────────
@pytest.fixture
def r8_r9(tmp_path: Path) -> Rulebooks:
    d = folder(tmp_path, packaged("R8.yaml"), packaged(MESSAGES_FILE))
    (d / "R9.yaml").write_text(r9_text(), encoding="utf-8")
    return load_rulebooks(d)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2025, 1, 1), "R8"),  # before them all: the oldest
        (dt.date(2026, 4, 1), "R8"),
        (dt.date(2027, 3, 31), "R8"),
        (dt.date(2027, 4, 1), "R9"),
        (dt.date(2030, 1, 1), "R9"),
    ],
)
def test_rulebook_in_force_on_a_date(r8_r9: Rulebooks, day: dt.date, expected: str) -> None:
    assert r8_r9.for_date(day).id == expected


def test_next_year_is_data_only(r8_r9: Rulebooks) -> None:
    assert [b.id for b in r8_r9] == ["R8", "R9"]
    r9 = r8_r9.by_id("R9")
    assert r9 is not None and r9.shared_cap.cap_per_frame_yen == 1_200_000
    assert r9.message(Code.AGENCY_MISSING, label="申込先支援機関") == r8_r9.books[0].message(
        Code.AGENCY_MISSING, label="申込先支援機関"
    )


def test_a_year_file_may_override_a_message(tmp_path: Path) -> None:
    d = folder(tmp_path, packaged(MESSAGES_FILE))
    (d / "R9.yaml").write_text(
        r9_text() + "\nmessages:\n  FIELD_MISSING: 「{label}」を記入してください。\n", "utf-8"
    )
    assert (
        load_rulebooks(d).books[0].message(Code.FIELD_MISSING, label="申込日")
        == "「申込日」を記入してください。"
    )


# ── one broken fixture per loader error ──────────────────────────────────────────────────────
def test_bad_yaml(tmp_path: Path) -> None:
    d = folder(tmp_path, fixture("bad_yaml.yaml", "R8.yaml"), packaged(MESSAGES_FILE))
    with pytest.raises(RulebookError, match=r"R8\.yaml: bad YAML.*line"):
        load_rulebooks(d)


def test_schema_violation_names_file_and_key(tmp_path: Path) -> None:
    d = folder(tmp_path, fixture("schema_violation.yaml", "R8.yaml"), packaged(MESSAGES_FILE))
    with pytest.raises(RulebookError, match=r"R8\.yaml: shared_cap\.cap_per_frame_yen: "):
        load_rulebooks(d)


def test_duplicate_effective_from(tmp_path: Path) -> None:
    d = folder(
        tmp_path,
        packaged("R8.yaml"),
        fixture("duplicate_effective_from.yaml", "R9.yaml"),
        packaged(MESSAGES_FILE),
    )
    with pytest.raises(
        RulebookError, match=r"R9\.yaml: effective_from: 2026-04-01 is also that of .*R8\.yaml"
    ):
        load_rulebooks(d)


def test_message_missing_for_a_code(tmp_path: Path) -> None:
    d = folder(tmp_path, packaged("R8.yaml"), fixture("messages_missing_code.yaml", MESSAGES_FILE))
    with pytest.raises(RulebookError, match=r"messages\.yaml: messages\.REAPPLICATION_INVALID: no message"):
        load_rulebooks(d)


def test_unknown_agency_in_a_scope(tmp_path: Path) -> None:
    d = folder(tmp_path, fixture("unknown_agency_scope.yaml", "R8.yaml"), packaged(MESSAGES_FILE))
    with pytest.raises(RulebookError, match=r"R8\.yaml: scope\.values\.sme: unknown agency jfc"):
        load_rulebooks(d)


def test_wrong_municipality_count(tmp_path: Path) -> None:
    d = folder(tmp_path, fixture("municipality_count.yaml", "R8.yaml"), packaged(MESSAGES_FILE))
    with pytest.raises(RulebookError, match=r"R8\.yaml: tokyo\.municipalities: 61 municipalities"):
        load_rulebooks(d)


def test_a_routed_only_field_must_be_a_stop_field(tmp_path: Path) -> None:
    text = (PACKAGED / "R8.yaml").read_text(encoding="utf-8")
    (tmp_path / "R8.yaml").write_text(
        text.replace("routed_only: [contact_email]", "routed_only: [contact_email, representative]"),
        encoding="utf-8",
    )
    shutil.copyfile(PACKAGED / MESSAGES_FILE, tmp_path / MESSAGES_FILE)
    with pytest.raises(RulebookError, match=r"routed_only names no stop field: \['representative'\]"):
        load_rulebooks(tmp_path)


def test_empty_folder() -> None:
    with pytest.raises(RulebookError, match=r"empty: no rulebook"):
        load_rulebooks(FIXTURES / "empty")


def test_missing_messages_file(tmp_path: Path) -> None:
    d = folder(tmp_path, packaged("R8.yaml"))
    with pytest.raises(RulebookError, match=r"messages\.yaml: cannot read"):
        load_rulebooks(d)


def test_unknown_code_in_messages(tmp_path: Path) -> None:
    d = folder(tmp_path, packaged("R8.yaml"), packaged(MESSAGES_FILE))
    text = (d / MESSAGES_FILE).read_text("utf-8") + "  NOT_A_CODE: 何か\n"
    (d / MESSAGES_FILE).write_text(text, "utf-8")
    with pytest.raises(RulebookError, match=r"messages\.NOT_A_CODE: unknown reason code"):
        load_rulebooks(d)


# ── Tokyo and industries ─────────────────────────────────────────────────────────────────────
WARDS = "千代田区 中央区 港区 新宿区 文京区 台東区 墨田区 江東区 品川区 目黒区 大田区 世田谷区 渋谷区 中野区 杉並区 豊島区 北区 荒川区 板橋区 練馬区 足立区 葛飾区 江戸川区"  # noqa: E501
CITIES = (
    "八王子市 立川市 武蔵野市 三鷹市 青梅市 府中市 昭島市 調布市 町田市 小金井市 小平市 日野市 東村山市 "
    "国分寺市 国立市 福生市 狛江市 東大和市 清瀬市 東久留米市 武蔵村山市 多摩市 "
    "稲城市 羽村市 あきる野市 西東京市"
)
TOWNS = "瑞穂町 日の出町 奥多摩町 大島町 八丈町"
VILLAGES = "檜原村 利島村 新島村 神津島村 三宅村 御蔵島村 青ヶ島村 小笠原村"
ALL_62 = [*WARDS.split(), *CITIES.split(), *TOWNS.split(), *VILLAGES.split()]


def test_the_62_municipalities_are_tokyos(r8: Rulebook) -> None:
    assert (len(WARDS.split()), len(CITIES.split()), len(TOWNS.split()), len(VILLAGES.split())) == (
        23,
        26,
        5,
        8,
    )
    assert sorted(m.name for m in r8.tokyo.municipalities) == sorted(ALL_62)
    kinds = [m.kind for m in r8.tokyo.municipalities]
    assert [kinds.count(k) for k in ("ward", "city", "town", "village")] == [23, 26, 5, 8]
    assert len(r8.prefectures.values) == 47


@pytest.mark.parametrize("name", ALL_62)
def test_each_municipality_without_prefecture_is_tokyo(r8: Rulebook, name: str) -> None:
    assert r8.is_tokyo_address(f"{name}1丁目2番3号")
    assert r8.is_tokyo_address(f"東京都{name}1-2-3")


@pytest.mark.parametrize(
    "address",
    [
        "西多摩郡瑞穂町箱根ケ崎2335",
        "西多摩郡檜原村467-1",
        "桧原村467-1",
        "青ケ島村無番地",
        "〒144-0052 大田区蒲田9-8-7",
        "東京都 大田区",
        "１４４－００５２　東京都大田区",
    ],
)
def test_tokyo_addresses_as_written(r8: Rulebook, address: str) -> None:
    assert r8.is_tokyo_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "大阪府大阪市北区梅田1-1",
        "大阪市北区梅田1-1",
        "神奈川県川崎市中原区1-1",
        "札幌市中央区北1条",
        "埼玉県和光市1-1",
        "京都府京都市中京区",
        "京都市中京区",
        "横浜市港北区",
        "広島県府中市",
        "千葉県浦安市",
        "",
    ],
)
def test_not_tokyo_addresses(r8: Rulebook, address: str) -> None:
    assert not r8.is_tokyo_address(address)


@pytest.mark.parametrize(
    ("detail", "industry", "excluded"),
    [
        ("農業", "農業", True),
        ("酪農業", "農業", True),
        ("農業用機械器具製造業", "製造業", False),
        ("水産物卸売業", "卸売業", False),
        ("精密金属部品製造業（切削加工）", "製造業", False),
        ("林業", "林業", True),
        ("沿岸漁業", "漁業", True),
        ("漁業用網製造業", "製造業", False),
        ("真珠養殖業", "水産養殖業", True),
        ("真珠養殖加工業", "製造業", False),
        ("貸金業", "金融業（銀行業・貸金業等）", True),
        ("損害保険代理業", "サービス業", False),
        ("生命保険業", "保険業", True),
        ("農業サービス業", "農業", True),
        ("店舗型性風俗特殊営業", "性風俗関連特殊営業", True),
        ("畜産業（肉用牛）等", "農業", True),
    ],
)
def test_industry_is_what_the_business_is(r8: Rulebook, detail: str, industry: str, excluded: bool) -> None:
    found = r8.industry_of(detail)
    assert found is not None and (found.name, found.excluded) == (industry, excluded)


def test_unknown_industry_is_none(r8: Rulebook) -> None:
    assert r8.industry_of("ソフトウェア開発") is None
