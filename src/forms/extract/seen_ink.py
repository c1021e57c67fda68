"""What the ink of a band was found to hold, kept for the next band whose ink is the same, bit for bit.

The printed 様式1 of one template and one producer show the same bands beside their checkboxes: the
rulings, the empty boxes, the ticks the text layer leaves out (the text itself is masked). Finding the
parts of a band's ink (``forms.extract.marks``: rulings taken out, connected parts, frames) costs about
0.1 ms a band at the quick look, as much as drawing and masking it. A reader keeps what it found for the
pictures it looked at last, keyed by the masked ink itself (its bits and its shape) and by everything
else the finding depends on (the band's line height, origin, scale and line): one key, one finding.
At most ``BUDGET`` bytes of keys and ``MOST`` findings are kept (a stream of hostile documents with many
tiny bands cannot grow it either), the least recently seen forgotten first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

import numpy as np

BUDGET = 8 << 20  # bytes of ink kept as keys: ~2,000 quick looks, ~150 close ones
MOST = 4096  # findings kept, whatever their size
#: A part of the ink as marks.py finds it: (x0, x1, frame, inside, size).
Found = tuple[tuple[float, float, bool, float, float], ...]


class SeenInk:
    """Findings by the ink they were found in (thread-safe: a tool may read in several threads)."""

    def __init__(self, budget: int = BUDGET, most: int = MOST) -> None:
        self._seen: OrderedDict[tuple[bytes, tuple[int, ...], Hashable], Found] = OrderedDict()
        self._budget, self._most, self._size = budget, most, 0
        self._lock = threading.Lock()

    @staticmethod
    def key(ink: np.ndarray, also: Hashable) -> tuple[bytes, tuple[int, ...], Hashable]:
        """The key of boolean ``ink`` and of what else the finding depends on (``also``)."""
        return np.packbits(ink).tobytes(), ink.shape, also

    def get(self, key: tuple[bytes, tuple[int, ...], Hashable]) -> Found | None:
        with self._lock:
            found = self._seen.get(key)
            if found is not None:
                self._seen.move_to_end(key)
            return found

    def put(self, key: tuple[bytes, tuple[int, ...], Hashable], found: Found) -> Found:
        with self._lock:
            if key not in self._seen:
                self._seen[key] = found
                self._size += len(key[0])
                while (self._size > self._budget or len(self._seen) > self._most) and len(self._seen) > 1:
                    forgotten, _ = self._seen.popitem(last=False)
                    self._size -= len(forgotten[0])
        return found

    def __len__(self) -> int:
        return len(self._seen)
