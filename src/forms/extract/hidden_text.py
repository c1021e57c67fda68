"""Text PDFium need not draw while the ink beside the checkboxes is read (``forms.extract.marks``).

Drawing the glyphs is most of the cost of rendering a band (~0.6 ms for the agency row of a printed
様式1, ~0.05 ms for its rulings and boxes), yet the ink reader clears every text box before it looks.
A text object is hidden (``FPDFPageObj_SetIsActive``) only when PDFium's bounds of it hold all it draws
and those bounds lie, for every band it comes within ``MARGIN`` of, inside one text box that band
masks, clear of the band's kept ranges (unexplained glyphs the reader must see) — or far from every
band (between two bands of one picture). Its bounds hold all it draws when:

- its font is embedded and not Type 3 (a Type 3 glyph draws whatever its procedure says; a substituted
  font may be slanted or emboldened beyond its outlines);
- it is filled or invisible (no stroke beyond the outlines, no clip that changes what comes after);
- it lies on the page itself: its matrix is the one the text page gives its chars (no form between).

Objects are found through the text page, by the chars of the runs on the region (a few calls per
object), not by walking every object of the page (~0.4 µs an object). Every object hidden is shown
again when the band has been read.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from forms.extract.pdf import address, by_address
from forms.extract.textlayer import Run

#: Points around a band within which a glyph's ink could reach its pixels (a pixel at 72 dpi, the
#: crop's rounding and antialiasing).
MARGIN = 2.0
_DRAWN_WITHIN = (pdfium_c.FPDF_TEXTRENDERMODE_FILL, pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE)


#: The PDFium calls made here, each handle an address (``pdf.by_address``).
_HANDLE, _INT, _MATRIX = ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(pdfium_c.FS_MATRIX)
_FLOAT = ctypes.POINTER(ctypes.c_float)
_text_object = by_address(pdfium_c.FPDFText_GetTextObject, _HANDLE, _HANDLE, _INT)
_generated = by_address(pdfium_c.FPDFText_IsGenerated, _INT, _HANDLE, _INT)
_render_mode = by_address(pdfium_c.FPDFTextObj_GetTextRenderMode, _INT, _HANDLE)
_font = by_address(pdfium_c.FPDFTextObj_GetFont, _HANDLE, _HANDLE)
_object_matrix = by_address(pdfium_c.FPDFPageObj_GetMatrix, _INT, _HANDLE, _MATRIX)
_char_matrix = by_address(pdfium_c.FPDFText_GetMatrix, _INT, _HANDLE, _INT, _MATRIX)
_bounds = by_address(pdfium_c.FPDFPageObj_GetBounds, _INT, _HANDLE, _FLOAT, _FLOAT, _FLOAT, _FLOAT)
_is_embedded = by_address(pdfium_c.FPDFFont_GetIsEmbedded, _INT, _HANDLE)
_font_data = by_address(
    pdfium_c.FPDFFont_GetFontData, _INT, _HANDLE, _HANDLE, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)
)
_set_active = by_address(pdfium_c.FPDFPageObj_SetIsActive, _INT, _HANDLE, _INT)

#: A text box the ink reader masks: (x0, x1, bottom, top).
TextBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class Look:
    """A band as the ink reader looks at it: ``box`` (left, bottom, right, top), ``keep`` (x ranges of
    text it does not mask)."""

    box: tuple[float, float, float, float]
    keep: Sequence[tuple[float, float]]


@contextlib.contextmanager
def hidden(
    textpage: pdfium.PdfTextPage | None, runs: Sequence[Run], boxes: Sequence[TextBox], looks: Sequence[Look]
) -> Iterator[int]:
    """Within the block, the text objects of ``runs`` that no look can tell from their masks are not
    drawn (yields how many)."""
    objects = [] if textpage is None or not looks else _hideable(textpage, runs, boxes, looks)
    for obj in objects:
        _set_active(obj, False)
    try:
        yield len(objects)
    finally:
        for obj in objects:
            _set_active(obj, True)


def _hideable(
    textpage: pdfium.PdfTextPage, runs: Sequence[Run], boxes: Sequence[TextBox], looks: Sequence[Look]
) -> list[int]:
    bottom = min(look.box[1] for look in looks) - MARGIN
    top = max(look.box[3] for look in looks) + MARGIN
    raw = address(textpage.raw)
    found: dict[int, int] = {}
    for _, first, last, run_bottom, run_top in runs:
        if run_bottom <= top and run_top >= bottom:
            _objects(raw, first, last, found)
    near = [b for b in boxes if b[2] <= top and b[3] >= bottom]
    drawn = _DrawnWithin(raw)
    return [obj for obj, char in found.items() if drawn(obj, char) and _unseen(drawn.bounds, near, looks)]


def _objects(raw: int | None, first: int, last: int, found: dict[int, int]) -> None:
    """The text objects (addresses) of the chars ``first``…``last``, each with a char of its own that
    PDFium did not make up: the ends', and when they are two objects every char's between (a run's
    objects are mostly a few chars each, or the whole run)."""
    ends = [_object_at(raw, first, found), _object_at(raw, last, found)]
    if ends[0] == ends[1] and ends[0]:
        return
    for index in range(first + 1, last):  # _object_at, inlined: ~0.5 µs a char
        obj = _text_object(raw, index)
        if obj and obj not in found and not _generated(raw, index):
            found[obj] = index


def _object_at(raw: int | None, index: int, found: dict[int, int]) -> int:
    obj = _text_object(raw, index)
    if not obj:
        return 0
    if obj not in found and not _generated(raw, index):
        found[obj] = index
    return obj


class _DrawnWithin:
    """Whether a text object draws nothing outside its bounds (see the module's docstring); its bounds
    are left in ``bounds``."""

    def __init__(self, raw: int | None) -> None:
        self._raw, self._fonts = raw, dict[int, bool]()
        self._own, self._chars = pdfium_c.FS_MATRIX(), pdfium_c.FS_MATRIX()
        self._sides = [ctypes.c_float() for _ in range(4)]
        self._refs = [ctypes.byref(s) for s in self._sides]
        self.bounds = (0.0, 0.0, 0.0, 0.0)

    def __call__(self, obj: int, char: int) -> bool:
        if _render_mode(obj) not in _DRAWN_WITHIN:
            return False
        font = _font(obj)
        if not font or not self._embedded(font):
            return False
        own, chars = self._own, self._chars
        if not _object_matrix(obj, own) or not _char_matrix(self._raw, char, chars):
            return False
        if bytes(own) != bytes(chars) or not _bounds(obj, *self._refs):
            return False  # in a form (its matrix is not the chars'), or no bounds
        left, bottom, right, top = self._sides
        self.bounds = (left.value, bottom.value, right.value, top.value)
        return True

    def _embedded(self, font: int) -> bool:
        """An embedded font program (Type 3 fonts count as embedded, but have none)."""
        known = self._fonts.get(font)
        if known is None:
            size = ctypes.c_size_t(0)
            known = (
                bool(_is_embedded(font))
                and bool(_font_data(font, None, 0, ctypes.byref(size)))
                and size.value > 0
            )
            self._fonts[font] = known
        return known


def _unseen(
    bounds: tuple[float, float, float, float], boxes: Sequence[TextBox], looks: Sequence[Look]
) -> bool:
    """Each look the bounds come near masks them: they lie in one of its text boxes, clear of its kept
    ranges."""
    left, bottom, right, top = bounds
    for look in looks:
        l_left, l_bottom, l_right, l_top = look.box
        if (
            left > l_right + MARGIN
            or right < l_left - MARGIN
            or bottom > l_top + MARGIN
            or top < l_bottom - MARGIN
        ):
            continue
        for k0, k1 in look.keep:
            if right > k0 and left < k1:
                return False
        for x0, x1, b, t in boxes:  # loops, not any() of generators: ~30 objects a page
            if x0 <= left and right <= x1 and b <= bottom and top <= t and not (t < l_bottom or b > l_top):
                break
        else:
            return False
    return True
