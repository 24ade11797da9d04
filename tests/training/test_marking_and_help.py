"""The pieces around training: the marked receipt, the trainer's PIN setting, the help list that
covers every message the till can show, and the training domain staying free of Textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cashier_tui.error_messages import cashier_message
from cashier_tui.help_entries import HELP, entry_for
from devices import payload
from pos_core.email_address import InvalidEmail, checked_email
from pos_core.catalog import CatalogError
from pos_core.checkout import PaymentError
from pos_core.loyalty_errors import (
    AlreadyEnrolled,
    IdempotencyConflict,
    InvalidValue,
    LoyaltyAuthError,
    LoyaltyError,
    LoyaltyUnavailable,
    NotFound,
    RewardNotAvailable,
    RewardsNeedTheService,
    UnknownCustomer,
)
from pos_core.money import InvalidAmount, parse_money
from pos_core.phone_number import InvalidPhoneNumber, parse_phone
from pos_core.receipt import TRAINING_MARK, ReceiptHeader, render_receipt
from pos_core.sale import CompletedSale, Sale, Tender
from pos_core.settings import Settings, SettingsError, load_settings


def paid_sale() -> CompletedSale:
    sale = Sale(store_id="s", terminal_id="till-1", currency="GBP", sale_id="00000000-0000-4000-8000-000000000001")
    return CompletedSale(sale, (Tender("cash", 310),), total=310, change=0, completed_at="2026-11-22T10:15:00Z")


def test_a_training_receipt_says_so_at_top_and_bottom() -> None:
    lines = render_receipt(paid_sale(), ReceiptHeader("Demo Store", training=True))
    assert TRAINING_MARK in lines[0] and TRAINING_MARK in lines[-1]
    assert all(len(line) <= 40 for line in lines)
    narrow = render_receipt(paid_sale(), ReceiptHeader("Demo Store", width=32, training=True))
    assert narrow[0].strip(" *") == TRAINING_MARK and all(len(line) <= 32 for line in narrow)
    assert not any(TRAINING_MARK in line for line in render_receipt(paid_sale(), ReceiptHeader("Demo Store")))


def test_the_trainer_pin_is_a_setting(tmp_path: Path) -> None:
    assert Settings().trainer_pin == "8642"
    config = tmp_path / "cashier.toml"
    config.write_text('trainer_pin = "9753"\n')
    assert load_settings(config, environ={}).trainer_pin == "9753"
    config.write_text("trainer_pin = 9753\n")
    with pytest.raises(SettingsError, match="trainer_pin must be 4 to 8 digits"):
        load_settings(config, environ={})


def _errors() -> list[BaseException]:
    problems: list[BaseException] = [
        LoyaltyUnavailable("down"),
        LoyaltyAuthError("no", code="unauthorized"),
        UnknownCustomer("who", code="unknown_customer"),
        AlreadyEnrolled("again", code="already_enrolled"),
        InvalidValue("x", code="qr_expired"),
        InvalidValue("x", code="qr_replayed"),
        InvalidValue("x", code="invalid"),
        InvalidValue("x", code="invalid_email"),
        InvalidValue("x", code="email_required"),
        RewardsNeedTheService("offline", code="offline"),
        RewardNotAvailable("no", code="reward_not_available"),
        IdempotencyConflict("dup", code="idempotency_conflict"),
        NotFound("gone", code="not_found"),
        LoyaltyError("other", code="other"),
        CatalogError("bad row 3"),
        PaymentError("The payment does not cover the total."),
        PaymentError("A card payment cannot be more than the total."),
        RuntimeError("boom"),
    ]
    for text in ("", "0" * 25, "12345", "020 7946"):
        try:
            parse_phone(text, "GB")
        except InvalidPhoneNumber as error:
            problems.append(error)
    for text in ("", "jo@", "jo smith@example.com"):
        try:
            checked_email(text)
        except InvalidEmail as error:
            problems.append(error)
    for text in ("abc", "1.234"):
        try:
            parse_money(text, "GBP")
        except InvalidAmount as error:
            problems.append(error)
    return problems


def test_every_message_the_till_can_show_is_explained() -> None:
    shown = [cashier_message(error) for error in _errors()]
    shown += [cashier_message(UnknownCustomer("who", code="unknown_customer"), method) for method in ("card", "qr", "nfc")]
    shown += [
        getattr(payload, name)
        for name in dir(payload)
        if name.isupper() and isinstance(getattr(payload, name), str) and name not in ("SHOWN_LIMIT",)
        and " " in getattr(payload, name)
    ]
    missing = [text for text in shown if entry_for(text) is None]
    assert not missing, missing
    for entry in HELP:
        assert entry.means and entry.do, entry.message


def test_the_training_domain_never_imports_textual() -> None:
    code = (
        "import sys\n"
        "import pos_core.training.scenario, pos_core.training.scoring, pos_core.training.results\n"
        "import pos_core.training.report, pos_core.training.sandbox\n"
        "pos_core.training.scenario.shipped_scenarios()\n"
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
