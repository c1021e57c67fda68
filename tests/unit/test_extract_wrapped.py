"""Labels a narrow column wrapped onto the next lines, put back on one line (forms.extract.wrapped), on
PDFs drawn with reportlab and read by the text layer, within a page and over a page break."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest

from forms import spec
from forms.extract import labels, wrapped
from forms.extract.label_index import LabelIndex
from forms.extract.textlayer import Line, flowing, read_text_layer
from tests.support.drawn_pdf import FONT, Draw, pdf, text

pytestmark = pytest.mark.skipif(FONT is None, reason="IPAex Gothic not installed")

FORM = spec.load_spec()
INDEX = LabelIndex(FORM)
CONSENT = "東京都・支援機関・金融機関間の情報共有への同意"
PIECES = ("東京都・支援機関・金融", "機関間の情報共有への同", "意")
PITCH = 12.75  # a wrapped label's line pitch at 9 points


def lines_of(*pages: tuple[Draw, ...]) -> list[Line]:
    doc = pdfium.PdfDocument(pdf(*pages))
    try:
        return flowing(read_text_layer(doc).lines)
    finally:
        doc.close()


def join(*pages: tuple[Draw, ...]) -> list[Line]:
    return wrapped.join_wrapped_labels(lines_of(*pages), INDEX.is_label, INDEX.is_label_start)


def wrapped_at(
    x: float, y: float, pieces: tuple[str, ...] = PIECES, pitch: float = PITCH
) -> tuple[Draw, ...]:
    """The pieces of a label, one under the other from the baseline ``y`` down."""
    return tuple(text(x, y - k * pitch, piece) for k, piece in enumerate(pieces))


def texts(lines: list[Line]) -> list[list[str]]:
    return [[s.text for s in line.spans] for line in lines]


def test_a_label_wrapped_over_three_lines_is_one_span_ending_at_its_last_piece() -> None:
    got = join((*wrapped_at(40, 700), text(200, 700, "はい")))
    assert texts(got) == [[CONSENT, "はい"]]
    (lines,) = (lines_of((*wrapped_at(40, 700), text(200, 700, "はい"))),)
    assert got[0].block_bottom == lines[-1].bottom and got[0].top == lines[0].top and not got[0].continued


def test_a_value_line_between_the_pieces_is_stepped_over_and_kept() -> None:
    # a value centred beside the label sits on a line of its own, between the label's first and second
    ops = (text(40, 700, PIECES[0]), text(200, 693, "令和8年5月12日"), text(40, 687.25, PIECES[1]),
           text(40, 674.5, PIECES[2]))  # fmt: skip
    assert texts(join(ops)) == [[CONSENT], ["令和8年5月12日"]]


def test_pieces_not_left_aligned_or_too_far_below_are_not_joined() -> None:
    shifted = (text(40, 700, PIECES[0]), text(60, 687.25, PIECES[1]), text(40, 674.5, PIECES[2]))
    assert texts(join(shifted)) == [[p] for p in PIECES]
    spread = wrapped_at(40, 700, pitch=2.5 * PITCH)
    assert texts(join(spread)) == [[p] for p in PIECES]


def test_lines_that_stop_being_a_label_are_not_joined() -> None:
    other = (text(40, 700, PIECES[0]), text(40, 687.25, "公社との連絡事項"), text(40, 674.5, PIECES[2]))
    assert texts(join(other)) == [[PIECES[0]], ["公社との連絡事項"], [PIECES[2]]]


def test_a_whole_label_is_not_joined_with_the_line_below() -> None:
    ops = (text(40, 700, "相談内容"), text(40, 687.25, "機関"))
    assert texts(join(ops)) == [["相談内容"], ["機関"]]


def test_a_label_cut_by_a_page_break_goes_on_at_the_top_of_the_next_page() -> None:
    first = (text(40, 500, "相談内容"), *wrapped_at(40, 60, PIECES[:2]))
    got = join(first, (text(40, 800, PIECES[2]), text(40, 770, "金融機関名")))
    assert texts(got) == [["相談内容"], [CONSENT], ["金融機関名"]]
    consent = got[1]
    assert consent.page == 0 and consent.block_bottom is not None and consent.block_bottom < 60
    assert [(f.page, round(f.top), round(f.x0)) for f in consent.continued] == [(1, 808, 40)]


def test_a_label_read_whole_over_a_page_break() -> None:
    first = (text(40, 500, "相談内容"), *wrapped_at(40, 60, PIECES[:2]), text(200, 60, "✓"))
    got = labels.read_labels(lines_of(first, (text(40, 800, PIECES[2]),)), FORM)
    assert got.values == {"consultation": "", "consent_sharing": True}
