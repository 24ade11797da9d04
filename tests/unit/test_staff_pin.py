"""The kiosk's staff PIN lockout (pos_core/staff_pin.py), on a clock the test moves."""

from __future__ import annotations

from pos_core.staff_pin import LOCK_SECONDS, StaffPinLock


def test_five_wrong_tries_lock_even_the_right_pin_until_the_time_is_up() -> None:
    now = [1000.0]
    lock = StaffPinLock("2468", lambda: now[0])
    assert [lock.attempt("0000").tries_left for _ in range(4)] == [4, 3, 2, 1]
    locking = lock.attempt("0000")
    assert not locking.accepted and locking.locked_seconds == LOCK_SECONDS
    assert "locked for 5 minutes" in locking.message
    now[0] += LOCK_SECONDS - 61
    refused = lock.attempt("2468")
    assert not refused.accepted and "locked for 2 minutes" in refused.message
    now[0] += 61
    assert lock.locked_seconds() == 0 and lock.attempt("2468").accepted
    assert lock.attempt("0000").tries_left == 4  # a fresh count after the lock


def test_a_right_pin_starts_the_count_again() -> None:
    lock = StaffPinLock("2468", lambda: 1000.0)
    for _ in range(4):
        assert not lock.attempt("1357").accepted
    assert lock.attempt("2468").accepted
    assert lock.attempt("1357").tries_left == 4
