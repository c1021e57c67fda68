"""What a band's ink was found to hold, kept by the ink itself (forms.extract.seen_ink)."""

from __future__ import annotations

import numpy as np

from forms.extract.seen_ink import SeenInk

FOUND = ((10.0, 19.0, True, 0.0, 1.1),)


def ink(*inked: tuple[int, int], shape: tuple[int, int] = (20, 40)) -> np.ndarray:
    picture = np.zeros(shape, bool)
    for at in inked:
        picture[at] = True
    return picture


def test_only_the_same_ink_with_the_same_band_finds_what_was_found() -> None:
    seen = SeenInk()
    seen.put(SeenInk.key(ink((3, 4)), ("band", 1.0)), FOUND)
    assert seen.get(SeenInk.key(ink((3, 4)), ("band", 1.0))) == FOUND
    assert seen.get(SeenInk.key(ink((3, 5)), ("band", 1.0))) is None  # one pixel more or less
    assert seen.get(SeenInk.key(ink((3, 4)), ("band", 4.0))) is None  # another scale, origin or line
    assert seen.get(SeenInk.key(ink((6, 4), shape=(40, 20)), ("band", 1.0))) is None  # same bits, other shape


def test_nothing_found_is_kept_too() -> None:
    seen = SeenInk()
    seen.put(SeenInk.key(ink(), "band"), ())
    assert seen.get(SeenInk.key(ink(), "band")) == ()


def test_the_least_recently_seen_ink_is_forgotten_past_the_budget() -> None:
    inks = [ink((k, 0)) for k in range(4)]
    size = len(SeenInk.key(inks[0], "band")[0])
    seen = SeenInk(budget=3 * size)
    for picture in inks[:3]:
        seen.put(SeenInk.key(picture, "band"), FOUND)
    assert seen.get(SeenInk.key(inks[0], "band")) == FOUND  # seen again: now the most recent
    seen.put(SeenInk.key(inks[3], "band"), FOUND)
    assert len(seen) == 3
    assert seen.get(SeenInk.key(inks[1], "band")) is None
    assert all(seen.get(SeenInk.key(inks[k], "band")) == FOUND for k in (0, 2, 3))


def test_no_more_findings_are_kept_than_the_most_however_small() -> None:
    seen = SeenInk(most=2)
    for k in range(5):
        seen.put(SeenInk.key(ink((k, 0)), "band"), FOUND)
    assert len(seen) == 2
    assert [seen.get(SeenInk.key(ink((k, 0)), "band")) for k in range(5)] == [None, None, None, FOUND, FOUND]
