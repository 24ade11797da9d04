"""Issue 13, "limits that cannot be raced" and "the membership oracle", replayed against a real
service on both databases.

Measured before: 40 wrong PINs sent at once got 35 checked against a limit of 5 (one of them a
201), and 37 unknown-phone lookups got through a limit of 30 (the limit was checked before the
work and counted after it); once identify was refused, enrolment still answered 409 for a member's
number and 201 (an account nobody consented to) for anyone else's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pos_core.embedded_service import RunningService, start_service
from tests.conftest import TEST_API_KEY
from tests.security.at_once import at_once, outcomes
from tests.service.api_calls import ALICE_ID, ALICE_PHONE, NEW_PHONE, balance, error_code, identify
from tests.service.stored import rows
from tests.service.test_chain_security import add_key, keyed, serving_alice
from tests.service.test_events import adjust

CONSENT = {"terms_version": "2026-01", "marketing": False}


def enrol(client: httpx.Client, phone: str, name: str = "Sam Taylor") -> httpx.Response:
    return client.post("/v1/accounts", json={"phone": phone, "name": name, "consent": CONSENT})


def unknown(n: int) -> str:
    return f"020 7946 07{n:02d}"  # nobody in the demo store


@pytest.fixture
def roomy(service_db: Path | str, tmp_path: Path) -> Iterator[RunningService]:
    """A demo-store service whose enrolment limit is out of the way of the lookup budget."""
    with start_service(db_path=service_db, api_key=TEST_API_KEY, log_path=tmp_path / "roomy.log",
                       extra_args=("--enrolments-per-minute", "100")) as service:
        yield service


# -- wrong PINs ------------------------------------------------------------------------------------


def test_forty_wrong_pins_sent_at_once_get_five_checked(
    api: httpx.Client, live_service: RunningService, live_db: Path | str
) -> None:
    with serving_alice(live_service, add_key(live_db, "store-north", "till-2")) as till:
        guesses = [f"{100000 + n:06d}" for n in range(40)]  # none of them the demo manager's 135790
        answers = at_once([lambda pin=pin: adjust(till, ALICE_ID, 1000, manager_pin=pin) for pin in guesses])
        assert outcomes(answers) == {(403, "wrong_manager_pin"): 5, (429, "rate_limited"): 35}
        assert error_code(adjust(till, ALICE_ID, 1000)) == (429, "rate_limited")  # the right PIN, for a while
    assert balance(api, ALICE_ID) == 640
    # Another till, and its manager, are not held up.
    with serving_alice(live_service, add_key(live_db, "store-north", "till-3")) as other:
        assert adjust(other, ALICE_ID, 10).status_code == 201
    assert balance(api, ALICE_ID) == 650


def test_a_right_pin_gives_its_slot_back(api: httpx.Client) -> None:
    for _ in range(8):
        assert adjust(api, ALICE_ID, 1).status_code == 201
    for _ in range(4):
        assert error_code(adjust(api, ALICE_ID, 1, manager_pin="000000")) == (403, "wrong_manager_pin")
    assert adjust(api, ALICE_ID, 1).status_code == 201
    assert error_code(adjust(api, ALICE_ID, 1, manager_pin="000000")) == (403, "wrong_manager_pin")  # the 5th
    assert error_code(adjust(api, ALICE_ID, 1, manager_pin="000000")) == (429, "rate_limited")


# -- lookups that find nobody ----------------------------------------------------------------------


def test_forty_unknown_lookups_sent_at_once_get_thirty_answered(
    live_service: RunningService, live_db: Path | str
) -> None:
    with serving_alice(live_service, add_key(live_db, "store-north", "till-2")) as till:
        answers = at_once([lambda n=n: identify(till, "phone", unknown(n)) for n in range(40)])
        assert outcomes(answers) == {(404, "unknown_customer"): 30, (429, "rate_limited"): 10}
        assert error_code(identify(till, "phone", ALICE_PHONE)) == (429, "rate_limited")
    with serving_alice(live_service, add_key(live_db, "store-north", "till-3")) as other:
        assert identify(other, "phone", ALICE_PHONE).status_code == 200


def test_found_customers_give_their_slots_back(live_service: RunningService, live_db: Path | str) -> None:
    # A lookup holds a slot while it runs (it might find nobody), so 40 at once are sent as 4 tens.
    with serving_alice(live_service, add_key(live_db, "store-north", "till-2")) as till:
        for _ in range(4):
            answers = at_once([lambda: identify(till, "phone", ALICE_PHONE) for _ in range(10)])
            assert outcomes(answers) == {(200, ""): 10}
        for n in range(30):
            assert error_code(identify(till, "phone", unknown(n))) == (404, "unknown_customer")
        assert error_code(identify(till, "phone", unknown(30))) == (429, "rate_limited")


# -- the membership oracle -------------------------------------------------------------------------


def test_enrolment_tells_nobody_who_is_a_member_once_lookups_are_spent(
    api: httpx.Client, live_service: RunningService, live_db: Path | str
) -> None:
    with serving_alice(live_service, add_key(live_db, "store-north", "till-2")) as till:
        for n in range(30):
            assert error_code(identify(till, "phone", unknown(n))) == (404, "unknown_customer")
        member, stranger = enrol(till, ALICE_PHONE), enrol(till, NEW_PHONE)
        assert error_code(member) == error_code(stranger) == (429, "rate_limited")  # was 409 and 201
        assert member.json()["error"]["message"] == stranger.json()["error"]["message"]
    assert rows(live_db, "SELECT COUNT(*) FROM accounts WHERE phone = ?", ("+442079460999",)) == [(0,)]
    assert error_code(identify(api, "phone", NEW_PHONE)) == (404, "unknown_customer")


def test_enrolling_members_spends_the_lookup_budget_even_at_once(roomy: RunningService) -> None:
    with keyed(roomy, TEST_API_KEY) as till:
        answers = at_once([lambda: enrol(till, ALICE_PHONE) for _ in range(40)])
        assert outcomes(answers) == {(409, "already_enrolled"): 30, (429, "rate_limited"): 10}
        assert error_code(identify(till, "phone", ALICE_PHONE)) == (429, "rate_limited")


def test_new_customers_enrolled_do_not_spend_the_lookup_budget(roomy: RunningService) -> None:
    with keyed(roomy, TEST_API_KEY) as till:
        for n in range(35):
            assert enrol(till, unknown(n), f"Customer {n}").status_code == 201
        assert identify(till, "phone", ALICE_PHONE).status_code == 200


def test_enrolments_per_key_are_limited_per_minute(service_db: Path | str, tmp_path: Path) -> None:
    with start_service(db_path=service_db, api_key=TEST_API_KEY, log_path=tmp_path / "tight.log",
                       extra_args=("--enrolments-per-minute", "3")) as service:
        other_key = add_key(service_db, "store-north", "till-3")
        with keyed(service, TEST_API_KEY) as till, keyed(service, other_key) as other:
            for n in range(3):
                assert enrol(till, unknown(n)).status_code == 201
            refused = enrol(till, unknown(3))
            assert error_code(refused) == (429, "rate_limited") and int(refused.headers["Retry-After"]) > 0
            assert error_code(identify(till, "phone", unknown(3))) == (404, "unknown_customer")  # not made
            assert enrol(other, unknown(3)).status_code == 201  # per key
