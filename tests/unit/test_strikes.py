"""Strike-outs (取消線) through a value written in a text cell (extract.strikes, scan_cells.text_cell):
drawn on images with a handwriting-style font and pen lines, cut and read as the scan reader does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from forms import model
from forms.extract.scan_cells import Cell, text_cell
from forms.extract.scan_text import read_text
from forms.extract.strikes import STRIKE_CLEAR
from forms.spec import load_spec

E = model.Evidence
FONT = Path("/usr/share/fonts/truetype/seto/setofont.ttf")
pytestmark = pytest.mark.skipif(not FONT.exists(), reason="needs fonts-seto")
PAPER, INK = 235, 40
#: A value cell at 200 dpi: 900 × 44 pixels (the form's 323 × 16 pt), a little margin round it.
W, H, MARGIN = 900, 44, 10
SIZE = 29  # a 10.5 pt glyph at 200 dpi


class Canvas:
    """A page with one value cell on it, written on with the font and a pen."""

    def __init__(self, height: int = H) -> None:
        self.image = Image.new("L", (W + 2 * MARGIN, height + 2 * MARGIN), PAPER)
        self.draw = ImageDraw.Draw(self.image)
        self.height = height

    def write(self, x: int, text: str, *, top: int = 7, size: int = SIZE) -> tuple[int, int, int, int]:
        """Write ``text`` from ``x`` (cell pixels); its ink's box on the page."""
        font = ImageFont.truetype(str(FONT), size)
        self.draw.text((MARGIN + x, MARGIN + top), text, font=font, fill=INK)
        return self.draw.textbbox((MARGIN + x, MARGIN + top), text, font=font)

    def strike(self, box: tuple[int, int, int, int], *, level: float = 0.5, lean: float = 0.015,
               overshoot: int = 6, offset: int = 0) -> None:  # fmt: skip
        """A pen line through the box's middle, a little past its ends."""
        x0, y0, x1, y1 = box
        y = round(y0 + level * (y1 - y0)) + offset
        rise = round(lean * (x1 - x0))
        self.draw.line((x0 - overshoot, y + rise, x1 + overshoot, y - rise), fill=INK, width=3)

    def cell(self) -> Cell:
        page = np.asarray(self.image, np.uint8)
        rect = (MARGIN + 2.0, MARGIN + 2.0, MARGIN + W - 2.0, MARGIN + self.height - 2.0)
        cell = text_cell(page, (PAPER + INK) / 2, rect, 200)
        assert cell is not None
        return cell


def _inked(cell: Cell, box: tuple[int, int, int, int]) -> bool:
    """Whether the cell as read (what is struck painted over) has ink in a box of the page."""
    x0, y0, x1, y1 = (v - MARGIN - 2 for v in box)
    return bool((cell.image[max(0, y0) : y1, max(0, x0) : x1] < (PAPER + INK) / 2).any())


def test_plain_writing_is_not_struck() -> None:
    for text in ("株式会社サンプル精機", "東京都大田区蒲田9丁目8番7号", "30,000,000", "一一二三ーー工業"):
        canvas = Canvas()
        canvas.write(8, text)
        cell = canvas.cell()
        assert (cell.struck, len(cell.lines)) == ("", 1), text


def test_a_value_struck_through_with_the_correction_beside_it_reads_only_the_correction() -> None:
    canvas = Canvas()
    mistake = canvas.write(8, "120,000,000")
    canvas.strike(mistake)
    right = canvas.write(mistake[2] - MARGIN + 24, "30,000,000")
    cell = canvas.cell()
    assert cell.struck == "corrected" and len(cell.lines) == 1
    assert _inked(cell, right) and not _inked(cell, (mistake[0] - 6, 0, mistake[2] + 6, 80))


def test_a_double_line_struck_value_with_the_correction_above_reads_the_correction() -> None:
    canvas = Canvas(height=70)
    right = canvas.write(8, "サンプル工業", top=2, size=24)
    mistake = canvas.write(8, "サンプル精機", top=36, size=24)
    canvas.strike(mistake, level=0.4)
    canvas.strike(mistake, level=0.65)
    cell = canvas.cell()
    assert cell.struck == "corrected" and len(cell.lines) == 1
    assert _inked(cell, right) and not _inked(cell, (0, mistake[1] + 2, 2 * W, 100))


def test_a_value_struck_through_with_nothing_beside_it_is_no_value_and_no_blank() -> None:
    canvas = Canvas()
    canvas.strike(canvas.write(8, "大阪府大阪市北区梅田1丁目"))
    cell = canvas.cell()
    assert (cell.struck, cell.lines) == ("bare", ())
    read = read_text(cell, load_spec()["hq_address"], _NoEngine())
    assert (read.value, read.evidence) == ("", (E.STRUCK,))


def test_a_strike_that_ends_inside_a_glyph_or_with_writing_on_both_sides_is_unclear() -> None:
    half = Canvas()
    box = half.write(8, "株式会社サンプル精機")
    half.strike((box[0], box[1], (box[0] + box[2]) // 2 + 5, box[3]), overshoot=0)
    assert half.cell().struck == "unclear"
    both = Canvas()
    before = both.write(8, "株式会社")
    middle = both.write(before[2] - MARGIN + 20, "サンプル精機")
    both.strike(middle)
    both.write(middle[2] - MARGIN + 24, "工業")
    assert both.cell().struck == "unclear"


def test_a_long_dash_written_alone_is_writing_not_a_strike() -> None:
    canvas = Canvas()
    canvas.draw.line((MARGIN + 20, MARGIN + 22, MARGIN + 20 + 4 * SIZE, MARGIN + 22), fill=INK, width=3)
    assert canvas.cell().struck == ""


def test_a_straight_run_longer_than_a_stroke_but_shorter_than_a_clear_strike_is_unclear() -> None:
    """Up to STROKE_MOST line heights a straight run through writing is a stroke of it (一 of 二, the top
    of 工, two glyphs touching); from STRIKE_CLEAR a strike; in between nobody can tell."""
    canvas = Canvas()
    box = canvas.write(8, "株式会社サンプル")
    height = box[3] - box[1]
    y = (box[1] + box[3]) // 2
    canvas.draw.line((box[0], y, box[0] + round(0.88 * STRIKE_CLEAR * height), y), fill=INK, width=3)
    assert canvas.cell().struck == "unclear"


class _NoEngine:
    name = "none"

    def recognize(self, image: np.ndarray) -> list:  # pragma: no cover - a struck bare cell is not read
        raise AssertionError("nothing standing: nothing to read")
