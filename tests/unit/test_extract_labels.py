"""Finding values by their printed labels in lines of text (pure: lines in, values out)."""

from __future__ import annotations

import pytest

from forms import spec
from forms.extract import labels, printed
from forms.extract.textlayer import Line, Span
from forms.model import RawValue

FORM = spec.load_spec()


def line(y: float, *cells: tuple[float, str], page: int = 0) -> Line:
    spans = tuple(Span(text, x, x + 9.0 * len(text)) for x, text in cells)
    return Line(page=page, top=y + 9.0, bottom=y, spans=spans)


def read(*lines: Line) -> dict[str, str | bool]:
    return dict(labels.read_labels(lines, FORM).values)


def test_longest_label_wins_where_one_label_ends_another() -> None:
    assert read(line(700, (40, "金融機関担当者氏名"), (240, "見本　四郎"))) == {"bank_officer": "見本　四郎"}
    assert read(line(700, (40, "金融機関E-mail"), (240, "a@b.jp"))) == {"bank_email": "a@b.jp"}


def test_label_inside_a_sentence_is_not_a_label() -> None:
    assert read(line(700, (40, "※ 個人事業者の場合、法人番号及び資本金の記入は不要です。"))) == {}
    assert read(line(700, (40, "当社の法人番号は別紙のとおり"))) == {}


def test_choice_hint_line_is_ignored() -> None:
    got = read(
        line(700, (40, "法人・個人の別"), (240, "法人")),
        line(690, (40, "（法人／個人事業者／組合 のいずれかを記入）")),
    )
    assert got == {"entity_type": "法人"}


def test_labels_match_ignoring_whitespace_and_width() -> None:
    got = read(
        line(700, (40, "担当者Ｅ－ＭＡＩＬ"), (240, "x@y.jp")),
        line(680, (40, "基本要件（１）都内事業所・保証対象業種を確認"), (240, "✓")),
    )
    assert got == {"contact_email": "x@y.jp", "req_tokyo_office": True}


def test_two_pairs_on_one_line_and_a_colon() -> None:
    got = read(line(700, (40, "支店名：蒲田支店"), (240, "業態"), (300, "信用金庫")))
    assert got == {"bank_branch": "蒲田支店", "bank_type": "信用金庫"}


@pytest.mark.parametrize(
    ("written", "ticked"),
    [
        ("✓", True),
        ("✔", True),
        ("■", True),
        ("レ", True),
        ("ﾚ", True),
        ("○", True),
        ("x", True),
        ("はい", True),
        ("□", False),
        ("☐", False),
        ("", False),
        ("いいえ", False),
    ],
)
def test_checkbox_marks_after_the_label(written: str, ticked: bool) -> None:
    cells = [(40, "信用金庫取引先（見込み先含む）")] + ([(240, written)] if written else [])
    assert read(line(700, *cells)) == {"scb_customer": ticked}


def test_checkbox_marks_before_the_labels() -> None:
    got = read(
        line(
            700,
            (40, "□暴力団員等に該当しないことの表明"),
            (300, "■ 東京都・支援機関・金融機関間の情報共有への同意"),
        )
    )
    assert got == {"declaration_antisocial": False, "consent_sharing": True}


@pytest.mark.parametrize(
    ("row", "ticked"),
    [
        ("✓日本貿易振興機構（ジェトロ） 信金中央金庫 東京都中小企業振興公社 中小企業基盤整備機構", {"jetro"}),
        ("日本貿易振興機構（ジェトロ） ✓ 信金中央金庫 東京都中小企業振興公社 中小企業基盤整備機構", {"scb"}),
        (
            "■日本貿易振興機構（ジェトロ） □信金中央金庫 □東京都中小企業振興公社 □中小企業基盤整備機構",
            {"jetro"},
        ),
        (
            "□日本貿易振興機構（ジェトロ） □信金中央金庫 ■東京都中小企業振興公社 □中小企業基盤整備機構",
            {"kosha"},
        ),
        ("日本貿易振興機構（ジェトロ） 信金中央金庫 東京都中小企業振興公社 中小企業基盤整備機構", set()),
        ("日本貿易振興機構（ジェトロ）", {"jetro"}),
        ("ジェトロ", {"jetro"}),
        ("中小企業基盤整備機構", {"smrj"}),
        ("✓信金中央金庫 ✓東京都中小企業振興公社", {"scb", "kosha"}),
        ("", set()),
    ],
)
def test_agency_row(row: str, ticked: set[str]) -> None:
    assert labels.agency_ticks(row) == {f"agency_{a}": a in ticked for a in spec.AGENCIES}


def test_multiline_value_takes_lines_in_its_column_until_the_next_label() -> None:
    got = read(
        line(700, (40, "相談内容"), (240, "現地の商習慣と")),
        line(688, (240, "代理店の探し方について")),
        line(676, (240, "and English too.")),
        line(656, (40, "東京都中小企業制度融資の利用状況"), (240, "利用中")),
    )
    assert got == {
        "consultation": "現地の商習慣と代理店の探し方について and English too.",
        "loan_status": "利用中",
    }


def test_multiline_value_stops_at_text_left_of_its_column_or_far_below() -> None:
    got = read(
        line(700, (40, "相談内容"), (240, "一行目")),
        line(688, (40, "※ 注記")),
        line(676, (240, "ここは続きではない")),
    )
    assert got == {"consultation": "一行目"}
    far = read(line(700, (40, "相談内容"), (240, "一行目")), line(600, (240, "離れた行")))
    assert far == {"consultation": "一行目"}


def test_continuation_goes_on_at_the_top_of_the_next_page() -> None:
    got = read(line(100, (40, "相談内容"), (240, "一行目")), line(800, (240, "次のページ"), page=1))
    assert got == {"consultation": "一行目次のページ"}


def test_over_a_page_break_only_text_in_the_value_column_goes_on() -> None:
    page_number = line(800, (500, "2／2"), page=1)
    assert read(line(100, (40, "相談内容"), (240, "一行目")), page_number) == {"consultation": "一行目"}
    heading = line(800, (30, "金融機関記入欄"), page=1)
    assert read(line(100, (40, "相談内容"), (240, "一行目")), heading) == {"consultation": "一行目"}


def test_text_atop_a_page_is_not_given_to_a_blank_label_at_the_bottom_of_the_last() -> None:
    got = labels.read_labels([line(100, (40, "都内事業所所在地（本社が都外の場合）")),
                              line(800, (400, "2／2"), page=1)], FORM)  # fmt: skip
    assert got.values == {"tokyo_office_address": ""} and not got.unsure


def test_first_value_found_wins_over_a_blank_repeat() -> None:
    got = read(line(700, (40, "企業名（屋号）"), (240, "見本商事")), line(600, (40, "企業名（屋号）")))
    assert got == {"company_name": "見本商事"}
    assert labels.read_labels([line(700, (40, "企業名（屋号）"))], FORM).labels_found == 1


def test_without_a_page_to_look_at_a_blank_box_is_unticked_and_unknown_text_unsure() -> None:
    # a Word or Excel 様式1: the text is all there is (no ink to read)
    names = "レ日本貿易振興機構（ジェトロ） 信金中央金庫 東京都中小企業振興公社 中小企業基盤整備機構"
    reading = labels.read_labels([
        line(700, (40, "申込先支援機関"), (160, names)),
        line(680, (40, "暴力団員等に該当しないことの表明")),
        line(660, (40, "東京都・支援機関・金融機関間の情報共有への同意"), (300, "？")),
    ], FORM)  # fmt: skip
    values = printed.reading_values(reading, FORM)
    assert values["declaration_antisocial"] == RawValue(False, 1.0)
    assert values["consent_sharing"] == RawValue(False, 0.0)
    agencies = {k: values[k] for k in spec.AGENCY_FIELDS}
    assert agencies == {k: RawValue(k == "agency_jetro") for k in spec.AGENCY_FIELDS}


def test_a_line_s_labels_are_found_again_by_its_text_and_where_its_spans_start() -> None:
    # one text, two layouts: 支店名 starts a span in the first (a label), a word's middle in the second
    index = labels.LabelIndex.of(FORM)
    apart = line(700, (40, "本店"), (58, "支店名"), (240, "蒲田支店")).layout()
    joined = Line(0, 709.0, 700.0, (Span("本店支店名", 40.0, 85.0), Span("蒲田支店", 240.0, 276.0))).layout()
    assert apart.text == joined.text == "本店支店名 蒲田支店"
    for _ in range(2):  # found, then found again as it was kept
        assert [(m.key, m.start) for m in index.matches(apart)] == [("bank_branch", 2)]
        assert index.matches(joined) == []


def test_a_line_longer_than_any_form_s_is_read_but_not_kept() -> None:
    index = labels.LabelIndex.of(FORM)
    long = line(700, (40, "支店名"), (240, "蒲" * 300)).layout()
    for _ in range(2):
        assert [m.key for m in index.matches(long)] == ["bank_branch"]
    assert (long.text, long.span_starts) not in index._seen
