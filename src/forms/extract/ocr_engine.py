"""OCR engines: an explicit registry of backends behind one small interface.

An engine reads the text lines of a grayscale image. The scanned-form reader (``scan.py``) hands
it one text line at a time (a crop of a field cell), so an engine may skip text detection for an
image that is only one line high — that is what makes OCR of a page take about a second.

Optional engines report whether they can run (``rapidocr_available``) instead of failing at
import; nothing here is imported from an optional package until an engine is built.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import cv2
import numpy as np

from forms.errors import OcrError

#: Characters that carry their own blank space in a Japanese font (no word space is added next to them).
#: Small kana: narrow glyphs whose blank side is no word space.
_SMALL_KANA = frozenset("ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ")


def _wide_letter(ch: str) -> bool:
    """A kanji or a full-size kana: the characters between which a lost space is put back."""
    return ch not in _SMALL_KANA and ("\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff") and ch != "・"


@dataclass(frozen=True)
class OcrLine:
    """One line of text as the engine read it.

    ``box`` is (x0, y0, x1, y1) in pixels of the image given; ``score`` the engine's confidence
    in the line (0..1); ``char_scores`` its confidence in each character of ``text`` when the
    engine gives them (spaces it inserted itself included), else empty. ``unclear_spaces``: a gap
    between two ASCII characters that may be a space or not (a half-width space is hardly wider
    than the gaps of a proportional font).
    """

    text: str
    box: tuple[float, float, float, float]
    score: float
    char_scores: tuple[float, ...] = ()
    unclear_spaces: bool = False


class OcrEngine(Protocol):
    """Reads the text lines of a grayscale uint8 H×W image; raises OcrError if it cannot run."""

    name: str

    def recognize(self, image: np.ndarray) -> list[OcrLine]: ...


@runtime_checkable
class LineReader(Protocol):
    """An engine that can also read one line with its recognition restricted to an alphabet (the
    characters a field can hold): the recogniser's best choice among those characters only."""

    def read_line(self, image: np.ndarray, alphabet: frozenset[str] | None) -> OcrLine | None: ...


# ── RapidOCR (PP-OCR models on onnxruntime, shipped in the wheel: works offline) ────────────────
@functools.cache
def rapidocr_available() -> bool:
    """Whether rapidocr and onnxruntime are installed (looked up once: a reader asks before every PDF,
    and the look-up walks sys.path, ~0.2 ms)."""
    return all(importlib.util.find_spec(name) is not None for name in ("rapidocr", "onnxruntime"))


@dataclass(frozen=True)
class RapidOcrTuning:
    """Settings of the RapidOCR engine: one thread (one reader process per core), no angle
    classifier (pages are de-skewed), detection on a reduced page, single lines read directly."""

    threads: int = 1
    det_limit_side_len: int = 960
    single_line_max_px: int = 96
    min_space_em: float = 0.35  # a gap this much wider (in ink heights) than the usual one is a space
    wide_space_em: float = 0.8  # ... and a gap this wide, a full-width one


class RapidOcrEngine:
    """RapidOCR 3.x. Images at most ``single_line_max_px`` high are read as one line without
    text detection; taller ones get detection, then recognition of each line found."""

    name = "rapidocr"

    def __init__(self, tuning: RapidOcrTuning | None = None) -> None:
        self.tuning = tuning or RapidOcrTuning()
        self._alphabets: dict[frozenset[str] | None, np.ndarray] = {}
        rapidocr = importlib.import_module("rapidocr")
        t = self.tuning
        self._ocr: Callable[..., Any] = rapidocr.RapidOCR(
            params={
                "Global.log_level": "error",
                "Global.use_cls": False,
                "Global.max_side_len": 4096,
                "Global.text_score": 0.0,
                "Det.limit_side_len": t.det_limit_side_len,
                "Det.limit_type": "max",
                "EngineConfig.onnxruntime.intra_op_num_threads": t.threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": t.threads,
            }
        )

    def recognize(self, image: np.ndarray) -> list[OcrLine]:
        if image.ndim != 2 or image.size == 0:
            return []
        bgr = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        try:
            if image.shape[0] <= self.tuning.single_line_max_px:
                out = self._ocr(bgr, use_det=False, use_cls=False, return_word_box=True)
                return self._single_line(image, out)
            out = self._ocr(bgr, use_cls=False, return_word_box=False)
            return self._detected_lines(image, out)
        except Exception as exc:  # rapidocr and onnxruntime raise plain Exception subclasses
            raise OcrError(f"rapidocr failed on a {image.shape[1]}×{image.shape[0]} image: {exc}") from exc

    def read_line(self, image: np.ndarray, alphabet: frozenset[str] | None) -> OcrLine | None:
        """One line (no detection) read by the recognition model with every character outside
        ``alphabet`` masked out of its output (CTC greedy decoding over the allowed columns; None:
        every character)."""
        if image.ndim != 2 or image.size == 0:
            return None
        try:
            rec = self._recognizer()
            columns = self._columns(alphabet)
            bgr = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
            h, w = image.shape
            batch = rec.resize_norm_img(bgr, max(w / h, 320 / 48))[np.newaxis, :].astype(np.float32)
            preds = np.asarray(rec.session(batch))[0]
        except Exception as exc:  # rapidocr and onnxruntime raise plain Exception subclasses
            raise OcrError(f"rapidocr failed on a {image.shape[1]}×{image.shape[0]} line: {exc}") from exc
        text, confs = _ctc_decode(preds[:, columns], rec.postprocess_op.character, columns)
        if not text.strip():
            return None
        return OcrLine(
            text, (0.0, 0.0, float(image.shape[1]), float(image.shape[0])), min(confs), tuple(confs)
        )

    def _recognizer(self) -> Any:
        # rapidocr builds its recogniser lazily; its loader is the one way to reach the model and dictionary
        return self._ocr._load_rec_model()

    def _columns(self, alphabet: frozenset[str] | None) -> np.ndarray:
        """Output columns of the model for the blank and every dictionary character in ``alphabet``
        (its full-width and half-width forms alike), cached per alphabet."""
        cached = self._alphabets.get(alphabet)
        if cached is None:
            chars = self._recognizer().postprocess_op.character
            cached = np.array(
                [0]
                + [
                    i
                    for i, c in enumerate(chars)
                    if i and (alphabet is None or unicodedata.normalize("NFKC", c) in alphabet)
                ]
            )
            self._alphabets[alphabet] = cached
        return cached

    def _single_line(self, image: np.ndarray, out: Any) -> list[OcrLine]:
        txts = getattr(out, "txts", None) or ()
        if not txts or not txts[0].strip():
            return []
        text, score = str(txts[0]), float(out.scores[0])
        words = (getattr(out, "word_results", None) or (None,))[0]
        h, w = image.shape
        if words is None or not words.line_txt_len:
            return [OcrLine(text, (0.0, 0.0, float(w), float(h)), score)]
        xs = _char_positions(text, words.word_cols, w / float(words.line_txt_len))
        confs = [float(c) for c in words.confs]
        if len(confs) != len(text) or len(xs) != len(text):
            return [OcrLine(text, (0.0, 0.0, float(w), float(h)), score)]
        unclear = _unclear_ascii_gap(image, text, xs, self.tuning)
        text, confs = _with_spaces(image, text, xs, confs, self.tuning)
        return [OcrLine(text, (0.0, 0.0, float(w), float(h)), score, tuple(confs), unclear)]

    def _detected_lines(self, image: np.ndarray, out: Any) -> list[OcrLine]:
        boxes = getattr(out, "boxes", None)
        if boxes is None or not getattr(out, "txts", None):
            return []
        lines = []
        for quad, text, score in zip(boxes, out.txts, out.scores, strict=False):
            q = np.asarray(quad, dtype=np.float64)
            box = (float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max()))
            if str(text).strip():
                lines.append(OcrLine(str(text), box, float(score)))
        return lines


def _ctc_decode(probs: np.ndarray, chars: Sequence[str], columns: np.ndarray) -> tuple[str, list[float]]:
    """Greedy CTC over the restricted columns (column 0 the blank): text and each character's score."""
    best = probs.argmax(axis=1)
    score = probs.max(axis=1)
    text, confs, previous = [], [], 0
    for k, col in enumerate(best):
        if col != 0 and col != previous:
            text.append(chars[int(columns[col])])
            confs.append(float(score[k]))
        previous = int(col)
    return "".join(text), confs


def _char_positions(text: str, word_cols: Sequence[Sequence[int]], col_px: float) -> list[float]:
    """x centre (pixels) of each character of ``text``; a space sits just after the previous one."""
    cols = [c for word in word_cols for c in word]
    xs: list[float] = []
    k = 0
    for ch in text:
        if ch.isspace():
            xs.append(xs[-1] + col_px if xs else 0.0)
        elif k < len(cols):
            xs.append((cols[k] + 0.5) * col_px)
            k += 1
    return xs


def _with_spaces(
    image: np.ndarray, text: str, xs: Sequence[float], confs: list[float], tuning: RapidOcrTuning
) -> tuple[str, list[float]]:
    """``text`` with its spaces decided by the blank gaps in the ink, each with a confidence.

    Recognisers drop the space in 見本　七海 (and in {{ 7*7 }}) and put spaces between full-width
    digits; a gap is a space when it is clearly wider than the line's usual gap between two characters.
    """
    chars: list[tuple[str, float, float]] = []
    spaced: set[int] = set()  # indexes into chars of those the recogniser put a space before
    for k, (ch, x, conf) in enumerate(zip(text, xs, confs, strict=True)):
        if ch.isspace():
            continue
        if k > 0 and text[k - 1].isspace() and chars:
            spaced.add(len(chars))
        chars.append((ch, x, conf))
    gaps, height = _blank_gaps(image)
    if len(chars) < 2 or height <= 0:
        return text, confs
    pair_gaps, threshold = _pair_gaps(gaps, height, [x for _, x, _ in chars], tuning)
    out, out_confs = [chars[0][0]], [chars[0][2]]
    for i in range(1, len(chars)):
        gap = pair_gaps[i - 1]
        clarity = min(1.0, abs(gap - threshold) / (0.25 * height))
        sure = 0.6 + 0.39 * clarity
        if i in spaced:  # the recogniser's own space stays where the ink has a gap for it
            is_space = gap >= threshold
        else:  # a lost space: between two kanji/kana, or between two ASCII letters or signs
            is_space = gap >= threshold and _same_script(chars[i - 1][0], chars[i][0])
        if is_space:
            out.append("\u3000" if gap >= tuning.wide_space_em * height else " ")
            out_confs.append(sure)
        ch, _, conf = chars[i]
        out.append(ch)
        out_confs.append(conf if is_space == (i in spaced) else min(conf, sure))
    return "".join(out), out_confs


def _pair_gaps(
    gaps: Sequence[tuple[int, int]], height: float, xs: Sequence[float], tuning: RapidOcrTuning
) -> tuple[list[float], float]:
    """The blank gap between each two neighbouring characters, and the width from which one is a space."""
    pair_gaps = [_gap_between(gaps, xs[i - 1], xs[i]) for i in range(1, len(xs))]
    usual = min(float(np.median(pair_gaps)), 0.6 * height)
    return pair_gaps, max(usual + tuning.min_space_em * height, 0.4 * height)


def _unclear_ascii_gap(image: np.ndarray, text: str, xs: Sequence[float], tuning: RapidOcrTuning) -> bool:
    """Whether two neighbouring ASCII characters have a gap in the ink that may be a half-width space
    or the font's own spacing: wider than a fifth of the line's height, narrower than a clear space."""
    chars = [(ch, x) for ch, x in zip(text, xs, strict=True) if not ch.isspace()]
    if len(chars) < 2 or sum(ch.isascii() for ch, _ in chars) < 2:
        return False
    gaps, height = _blank_gaps(image)
    if height <= 0:
        return False
    pair_gaps, threshold = _pair_gaps(gaps, height, [x for _, x in chars], tuning)
    return any(
        _ascii_pair(chars[k - 1][0], chars[k][0]) and 0.2 * height <= gap < threshold
        for k, gap in enumerate(pair_gaps, start=1)
    )


def _ascii_pair(left: str, right: str) -> bool:
    """Two ASCII characters that are not both digits (a narrow 1 leaves a gap beside it)."""
    return left.isascii() and right.isascii() and not (left.isdigit() and right.isdigit())


def _same_script(left: str, right: str) -> bool:
    """Two wide letters (kanji, kana), or two ASCII letters, digits or signs."""
    return (_wide_letter(left) and _wide_letter(right)) or (left.isascii() and right.isascii())


def _gap_between(gaps: Sequence[tuple[int, int]], left: float, right: float) -> float:
    """Width of the widest blank gap whose middle lies between two character centres."""
    return float(max((end - start for start, end in gaps if left < (start + end) / 2 < right), default=0))


def _blank_gaps(image: np.ndarray) -> tuple[list[tuple[int, int]], float]:
    """Blank column runs [start, end) between inked columns, and the height of the ink."""
    _, ink = cv2.threshold(image, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    rows = np.nonzero(ink.sum(axis=1) >= 2)[0]
    cols = np.nonzero(ink.sum(axis=0) > 0)[0]
    if len(rows) == 0 or len(cols) < 2:
        return [], 0.0
    steps = np.diff(cols)
    runs = [(int(cols[i]) + 1, int(cols[i + 1])) for i in np.nonzero(steps > 1)[0]]
    return runs, float(rows[-1] - rows[0] + 1)


# ── registry ──────────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class EngineEntry:
    name: str
    available: Callable[[], bool]
    build: Callable[[], OcrEngine]


#: The engines this build knows, best first.
ENGINES: tuple[EngineEntry, ...] = (EngineEntry("rapidocr", rapidocr_available, RapidOcrEngine),)


def available_engines() -> tuple[str, ...]:
    return tuple(e.name for e in ENGINES if e.available())


def default_engine() -> OcrEngine | None:
    """The best available engine (RapidOCR), or None when no engine can run here."""
    for entry in ENGINES:
        if entry.available():
            try:
                return entry.build()
            except Exception as exc:  # a broken install: say so loudly rather than read nothing
                raise OcrError(f"OCR engine {entry.name} is installed but cannot start: {exc}") from exc
    return None
