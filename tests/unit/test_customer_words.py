"""How a customer is named and told their progress on customer-facing surfaces."""

from __future__ import annotations

from decimal import Decimal

from pos_core.customer_words import progress_sentence, short_name
from pos_core.loyalty_models import AccountSummary, NextReward, Tier


def customer(next_reward: NextReward | None = None, tier: Tier | None = None) -> AccountSummary:
    return AccountSummary(
        account_id="acc_1", display_name="Alice Smith", currency="GBP", balance=10, balance_as_of=None,
        tier=tier or Tier("Silver", Decimal(1), None, None), next_reward=next_reward, rewards_available=(),
    )


def test_first_name_and_initial_only() -> None:
    assert short_name("Alice Mary Smith") == "Alice S."
    assert short_name("  Cher ") == "Cher"
    assert short_name("") == ""
    # Data stays text: a control character is made visible, markup is kept as typed.
    assert short_name("[b]Eve\x1b[2J Doe") == "[b]Eve␛[2J D."


def test_progress_is_one_sentence_for_this_customer() -> None:
    assert progress_sentence(customer(NextReward("r", "£5 off your shop", 500, 2))) == "Only 2 points to £5 off your shop."
    assert progress_sentence(customer(NextReward("r", "a coffee", 100, 1))) == "Only 1 point to a coffee."
    assert progress_sentence(customer(tier=Tier("Silver", Decimal(1), "Gold", 1200))) == "Only 1,200 points to Gold."
    assert progress_sentence(customer()) == ""
