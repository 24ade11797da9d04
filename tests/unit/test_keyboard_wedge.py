"""The keyboard-wedge burst detector, exhaustively: scanner bursts are read whole and never leak;
typing always gets through, in order, and promptly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.keyboard_wedge import Deliver, Scanned, WedgeFilter, WedgeTiming, is_scanner_burst

TIMING = WedgeTiming()
printable = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
scanner_gap = st.floats(min_value=0.002, max_value=0.030)
human_gap = st.floats(min_value=0.100, max_value=0.250)


def run(events: list[tuple[str, float]], timing: WedgeTiming = TIMING, tick_every: float = 0.005):
    """Feed (key, time) through the filter with a clock ticking between keys, as the app does.

    Returns what came out, each with the time it came out. Keys are named by their index so
    the order can be checked; "enter" ends a burst.
    """
    wedge: WedgeFilter[int] = WedgeFilter(timing)
    out: list[tuple[Deliver[int] | Scanned, float]] = []
    now = events[0][1] if events else 0.0
    for index, (key, at) in enumerate(events):
        while now + tick_every < at:
            now += tick_every
            out += [(o, now) for o in wedge.tick(now)]
        now = at
        result = wedge.key(index, None if key == "enter" else key, at, enter=key == "enter")
        out += [(o, at) for o in result]
    end = now + timing.burst_end + tick_every
    out += [(o, end) for o in wedge.tick(end)]
    return out


def timed(text: str, gaps: list[float], start: float = 100.0) -> list[tuple[str, float]]:
    events, at = [], start
    for char, gap in zip([*text, "enter"], gaps, strict=True):
        at += gap
        events.append((char, at))
    return events


@settings(max_examples=300)
@given(st.data())
def test_a_burst_at_scanner_speed_is_read_whole_and_never_leaks(data) -> None:
    text = data.draw(st.text(printable, min_size=TIMING.min_length, max_size=120))
    gaps = data.draw(st.lists(scanner_gap, min_size=len(text) + 1, max_size=len(text) + 1))
    out = run(timed(text, gaps))
    assert [o for o, _ in out] == [Scanned(text)]


@settings(max_examples=300)
@given(st.data())
def test_typing_gets_through_in_order_and_promptly(data) -> None:
    text = data.draw(st.text(printable, min_size=1, max_size=40))
    gaps = data.draw(st.lists(human_gap, min_size=len(text) + 1, max_size=len(text) + 1))
    events = timed(text, gaps)
    out = run(events)
    assert all(isinstance(o, Deliver) for o, _ in out)
    assert [o.key for o, _ in out] == list(range(len(events)))
    for o, released in out:
        assert released - events[o.key][1] <= TIMING.max_gap + 0.006  # a lone key is held only max_gap


@settings(max_examples=200)
@given(st.data())
def test_typing_then_a_scan_then_typing(data) -> None:
    typed = data.draw(st.text(printable, min_size=1, max_size=10))
    code = data.draw(st.text(printable, min_size=TIMING.min_length, max_size=40))
    first = timed(typed, data.draw(st.lists(human_gap, min_size=len(typed) + 1, max_size=len(typed) + 1)))
    scan = timed(code, data.draw(st.lists(scanner_gap, min_size=len(code) + 1, max_size=len(code) + 1)),
                 start=first[-1][1] + 0.3)
    after = timed("ok", [0.2, 0.15, 0.12], start=scan[-1][1] + 0.3)
    out = [o for o, _ in run(first + scan + after)]
    delivered_before = [Deliver(i) for i in range(len(first))]
    delivered_after = [Deliver(len(first) + len(scan) + i) for i in range(len(after))]
    assert out == [*delivered_before, Scanned(code), *delivered_after]


def test_a_usb_hiccup_in_a_long_scan_is_still_a_scan() -> None:
    gaps = [0.01] * 14
    gaps[6] = 0.055
    assert run(timed("2991000000016", gaps)) [0][0] == Scanned("2991000000016")


def test_a_key_typed_just_before_a_scan_is_typing_and_the_scan_is_whole() -> None:
    events = [("1", 10.0), ("0", 10.15), *timed("2991000000016", [0.05] + [0.01] * 13, start=10.15)]
    assert [o for o, _ in run(events)] == [Deliver(0), Deliver(1), Scanned("2991000000016")]


def test_the_lf_after_a_scanners_cr_is_part_of_the_scan_but_a_later_enter_is_not() -> None:
    wedge: WedgeFilter[str] = WedgeFilter()
    for index, char in enumerate("2991000000016"):
        wedge.key(char, char, 1.0 + index * 0.01)
    assert wedge.key("cr", None, 1.13, enter=True) == [Scanned("2991000000016")]
    assert wedge.key("lf", None, 1.135, enter=True) == []
    assert wedge.key("enter", None, 2.0, enter=True) == [Deliver("enter")]


def test_two_slow_gaps_in_a_short_burst_are_typing() -> None:
    gaps = [0.01, 0.05, 0.01, 0.05, 0.01]
    assert not is_scanner_burst([0.0, 0.01, 0.06, 0.07], 0.12)
    assert all(isinstance(o, Deliver) for o, _ in run(timed("1001", gaps)))


def test_short_fast_bursts_are_typing() -> None:
    out = run(timed("12", [0.01, 0.01, 0.01]))
    assert [o for o, _ in out] == [Deliver(0), Deliver(1), Deliver(2)]


def test_other_keys_let_the_held_keys_through_first() -> None:
    wedge: WedgeFilter[str] = WedgeFilter()
    assert wedge.key("a", "a", 1.0) == [] and wedge.key("b", "b", 1.01) == []
    assert wedge.key("f2", None, 1.02) == [Deliver("a"), Deliver("b"), Deliver("f2")]
    assert not wedge.holding


def test_a_slow_scanner_is_caught_by_configured_thresholds() -> None:
    slow = WedgeTiming(max_gap=0.06, burst_end=0.09)
    events = timed("2991000000016", [0.05] * 14)
    assert [o for o, _ in run(events)] != [Scanned("2991000000016")]
    assert [o for o, _ in run(events, slow)] == [Scanned("2991000000016")]


def test_thresholds_are_checked() -> None:
    with pytest.raises(ValueError):
        WedgeTiming(max_gap=0.1, burst_end=0.05)
    with pytest.raises(ValueError):
        WedgeTiming(min_length=0)
