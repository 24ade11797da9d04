"""A customer looked up online carries the points this till has not delivered for them yet, read
beside the lookup: a customer with none is answered without waiting for the till's file."""

from __future__ import annotations

from pathlib import Path

from pos_core.checkout import Checkout
from pos_core.loyalty_client import LoyaltyClient
from pos_core.settings import Settings
from tests.offline.test_outbox import record

ALICE_PHONE = "020 7946 0001"
BOB_PHONE = "020 7946 0002"


async def test_points_not_yet_delivered_are_added_only_to_their_customer(live_service, tmp_path: Path) -> None:
    settings = Settings(api_url=live_service.url, api_key=live_service.api_key, data_dir=tmp_path / "till")
    checkout = Checkout(LoyaltyClient(live_service.url, live_service.api_key), settings)
    try:
        await checkout.load_store()
        alice = await checkout.identify("phone", ALICE_PHONE)
        assert alice.pending_points == 0
        # Two of Alice's sales wait on this till (the sender is not running), one of them set aside.
        record(checkout.outbox, "waiting-1", account=alice.account_id, points=7)
        record(checkout.outbox, "waiting-2", account=alice.account_id, points=4)
        record(checkout.outbox, "refused", account=alice.account_id, points=50)
        checkout.outbox.set_aside("refused", "refused by the service")
        assert checkout.outbox.pending_accounts() == {alice.account_id}
        again = await checkout.identify("phone", ALICE_PHONE)
        assert again.pending_points == 11 and again.balance == alice.balance
        bob = await checkout.identify("phone", BOB_PHONE)
        assert bob.pending_points == 0
        checkout.outbox.confirm("waiting-1", {"points_earned": 7})
        checkout.outbox.confirm("waiting-2", {"points_earned": 4})
        assert checkout.outbox.pending_accounts() == frozenset()
        assert (await checkout.identify("phone", ALICE_PHONE)).pending_points == 0
    finally:
        await checkout.client.aclose()
        checkout.close()
