"""The collector's full passes run while the till is idle, never while keys come, and everything
is given back at stop."""

from __future__ import annotations

import gc

import pytest

from till_tui.idle_collector import RARE_FULL_PASSES, IdleCollector


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def full_passes():
    seen: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            seen.append(1)

    gc.callbacks.append(count)
    yield seen
    gc.callbacks.remove(count)


def test_a_full_pass_runs_once_the_till_is_idle_and_one_is_due(full_passes) -> None:
    clock = Clock()
    before = gc.get_threshold()
    collector = IdleCollector(idle_after=1.0, full_every=20.0, clock=clock)
    assert not collector.tick()  # not started: the store is not loaded yet
    collector.start()
    try:
        assert gc.get_threshold()[2] == RARE_FULL_PASSES
        assert gc.get_freeze_count() > 0
        for _ in range(30):  # keys every half second for fifteen seconds, then for twenty more
            clock.now += 0.5
            collector.touched()
            clock.now += 0.5
            assert not collector.tick()
        clock.now += 0.4
        assert not collector.tick()  # 0.9 s without a key is not idle yet
        clock.now += 0.1
        full_passes.clear()
        assert collector.tick()  # a second without a key, twenty since the last pass
        assert full_passes  # it really was a full pass
        assert collector.full_passes == 1
        clock.now += 10
        assert not collector.tick()  # idle, but one ran ten seconds ago
        clock.now += 10
        assert collector.tick()
    finally:
        collector.stop()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
