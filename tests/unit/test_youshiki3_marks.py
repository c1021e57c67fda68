"""The marks a bank makes on a returned 様式3's lists of choices, read from ink drawn with OpenCV on a
blank list (□ and a word per line), and how a list's answer and its certainty follow from them."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from forms import model
from forms.extract import youshiki3_marks as marks
from forms.extract.youshiki3_marks import Marks, decide

E = model.Evidence
BOX = (20.0, 20.0, 46.0, 46.0)  # a □ at 200 dpi
WORD = (56.0, 20.0, 140.0, 46.0)  # its word


def _blank() -> np.ndarray:
    """A grey-level list line: the □'s outline and a word (solid strokes standing for its glyphs)."""
    page = np.full((70, 180), 255, np.uint8)
    cv2.rectangle(page, (22, 22), (44, 44), 0, 2)
    for x in range(60, 136, 14):  # the word's glyphs: short strokes, the line through them left free
        cv2.line(page, (x, 24), (x + 8, 30), 0, 2)
        cv2.line(page, (x, 38), (x + 8, 43), 0, 2)
    return page


def _measure(scan: np.ndarray) -> Marks:
    return marks.measure(scan, _blank(), 128, BOX, WORD)


def test_an_empty_line_has_no_marks() -> None:
    got = _measure(_blank())
    assert got.blank and got.clear and not got.marked


def test_a_filled_box_is_a_tick() -> None:
    scan = _blank()
    cv2.rectangle(scan, (23, 23), (43, 43), 0, -1)  # ■ over the □
    got = _measure(scan)
    assert got.ticked and got.clear


def test_a_tick_drawn_mostly_over_the_outline_is_still_a_tick() -> None:
    """A pen's レ whose long arm runs along the □'s right side: its stroke mostly under the outline."""
    scan = _blank()
    cv2.line(scan, (35, 37), (40, 44), 0, 3)
    cv2.line(scan, (40, 44), (47, 10), 0, 3)
    got = _measure(scan)
    assert got.ticked and not got.blank


def test_a_ring_round_the_word_and_a_line_through_it() -> None:
    ringed = _blank()
    cv2.ellipse(ringed, (98, 33), (52, 19), 0, 0, 360, 0, 2)
    assert _measure(ringed).ringed and not _measure(ringed).struck
    struck = _blank()
    cv2.line(struck, (52, 34), (146, 32), 0, 2)
    assert _measure(struck).struck and not _measure(struck).ringed


def test_a_ring_whose_side_passes_over_the_box_is_still_a_ring() -> None:
    """The ring's left side runs along the □'s outline: there it is under the print, not missing."""
    scan = _blank()
    cv2.ellipse(scan, (95, 33), (52, 19), 0, 0, 360, 0, 2)
    got = _measure(scan)
    assert got.ringed and got.clear


def test_a_scanners_speck_in_the_box_is_no_mark_and_a_pen_dot_is_one() -> None:
    speck = _blank()
    cv2.circle(speck, (33, 33), 1, 0, -1)
    assert _measure(speck).blank
    dot = _blank()
    cv2.circle(dot, (33, 33), 3, 0, -1)
    assert _measure(dot).ticked


def _m(box: float = 0.0, ring: float = 0.0, strike: float = 0.0, box_ink: float = 0.0) -> Marks:
    return Marks(box, ring, strike, box_ink)


KEYS = ("disbursed", "not_disbursed", "declined")
TICK, RING, STRIKE, NONE = _m(0.3, box_ink=0.2), _m(ring=1.0), _m(strike=1.0), _m()


@pytest.mark.parametrize(
    ("line", "chosen", "evidence"),
    [
        ((TICK, NONE, NONE), "disbursed", (E.INK_CLEAR,)),
        ((NONE, RING, NONE), "not_disbursed", (E.CHOICE_CIRCLED,)),
        ((STRIKE, STRIKE, NONE), "declined", (E.OTHERS_STRUCK,)),
        ((STRIKE, RING, STRIKE), "not_disbursed", (E.CHOICE_CIRCLED, E.OTHERS_STRUCK)),
        ((NONE, NONE, NONE), None, (E.BLANK,)),
    ],
)
def test_a_list_answered_in_one_of_the_ways_the_form_invites(
    line: tuple[Marks, ...], chosen: str | None, evidence: tuple[model.Evidence, ...]
) -> None:
    got = decide(KEYS, line)
    assert (got.chosen, got.evidence, got.several) == (chosen, evidence, False)


@pytest.mark.parametrize(
    "line",
    [
        (_m(ring=1.0, strike=1.0), NONE, NONE),  # a ring struck through: changed its mind?
        (STRIKE, STRIKE, STRIKE),  # every choice struck
        (_m(box=0.03), NONE, NONE),  # some ink in a box, not clearly a tick
        (TICK, _m(box_ink=0.02), NONE),  # a second box touched
        (NONE, NONE, _m(strike=0.5)),  # a line half through a word
        (NONE, _m(ring=0.4), STRIKE),  # a partial ring, one other struck
    ],
)
def test_marks_that_tell_no_one_choice_leave_the_list_unsure(line: tuple[Marks, ...]) -> None:
    got = decide(KEYS, line)
    assert {E.MARKS_UNCLEAR, E.INK_AMBIGUOUS} & set(got.evidence), got
    assert not got.several


def test_two_choices_clearly_ticked_is_the_banks_mistake() -> None:
    got = decide(KEYS, (TICK, NONE, TICK))
    assert got.several
