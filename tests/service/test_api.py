"""Loyalty API v1 (docs/loyalty-api-v1.md) against a real reference service on loopback:
keys and errors, identify, enrol, quote, program, catalog, health and the published OpenAPI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from loyalty_service.referral_codes import normalise_code
from pos_core.embedded_service import RunningService
from tests.conftest import TEST_API_KEY
from tests.service.api_calls import ALICE_ID, ALICE_PHONE, NEW_PHONE, error_code, identify, line
from tests.service.stored import rows

ALICE_SUMMARY_EXCEPT_TIME = {
    "account_id": ALICE_ID,
    "display_name": "Alice S.",
    "currency": "GBP",
    "balance": 640,
    "tier": {"name": "Silver", "multiplier": "1.25", "next_tier": "Gold", "points_to_next_tier": 1860},
    "next_reward": {"reward_id": "ten-percent", "name": "10% off your shop", "cost": 1000, "points_needed": 360},
    "rewards_available": [
        {"reward_id": "free-hot-drink", "name": "Free hot drink", "cost": 150,
         "discount": {"kind": "free_item", "category": "hot_drinks"}, "description": "One hot drink free"},
        {"reward_id": "five-off", "name": "£5 off your shop", "cost": 500,
         "discount": {"kind": "amount_off", "amount": 500}, "description": "£5.00 off"},
    ],
    "email_masked": None,
    "email_receipts": False,
}


def without_time(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary less what changes with every answer: its time, and the proof of presence an
    identify or enrolment carries (another each time; None elsewhere), and the referral code
    (random, made per database: test_referrals.py)."""
    assert summary["balance_as_of"].endswith("Z") and len(summary["balance_as_of"]) == 20
    assert summary["presence"] is None or summary["presence"].startswith("PRS1.")
    assert normalise_code(summary["referral_code"]) == summary["referral_code"]
    return {key: value for key, value in summary.items() if key not in ("balance_as_of", "presence", "referral_code")}


# -- keys and the error shape --------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer wrong-key", f"Basic {TEST_API_KEY}", "Bearer", f"Bearer {TEST_API_KEY}x"])
def test_every_call_needs_a_valid_key(reading_service: RunningService, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    for method, path in [("POST", "/v1/identify"), ("GET", "/v1/health"), ("GET", "/v1/accounts/nobody")]:
        response = httpx.request(method, f"{reading_service.url}{path}", headers=headers,
                                 json={"method": "phone", "value": ALICE_PHONE})
        assert error_code(response) == (401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"
        assert "Alice" not in response.text


def test_the_key_is_checked_before_the_body(reading_service: RunningService) -> None:
    response = httpx.post(f"{reading_service.url}/v1/identify", content=b"{not json")
    assert error_code(response) == (401, "unauthorized")


def test_framework_errors_have_the_contract_shape(reader: httpx.Client) -> None:
    assert error_code(reader.get("/v1/nowhere")) == (404, "not_found")
    assert error_code(reader.delete("/v1/health")) == (405, "method_not_allowed")
    not_json = reader.post("/v1/identify", content=b"{not json", headers={"Content-Type": "application/json"})
    assert error_code(not_json) == (422, "invalid_request")


def test_a_malformed_body_names_the_field_without_echoing_its_value(reader: httpx.Client) -> None:
    response = reader.post("/v1/identify", json={"method": "email", "value": "4111111111111111"})
    assert error_code(response) == (422, "invalid_request")
    assert [d["field"] for d in response.json()["error"]["details"]] == ["method"]
    assert "4111111111111111" not in response.text
    extra = reader.post("/v1/identify", json={"method": "phone", "value": ALICE_PHONE, "pin": "1234"})
    assert error_code(extra) == (422, "invalid_request")
    assert [d["field"] for d in extra.json()["error"]["details"]] == ["pin"]


def test_openapi_is_public_and_describes_the_real_models(reading_service: RunningService) -> None:
    document = httpx.get(f"{reading_service.url}/openapi.json").json()
    assert set(document["paths"]) == {
        "/v1/identify", "/v1/accounts", "/v1/accounts/{account_id}", "/v1/quote", "/v1/sales",
        "/v1/sales/{sale_id}", "/v1/program", "/v1/health", "/v1/catalog", "/v1/accounts/{account_id}/sales",
        "/v1/accounts/{account_id}/qr-token",
        "/v1/events", "/v1/flags", "/v1/accounts/{account_id}/adjustments",  # live updates, chains, security
        "/v1/reservations", "/v1/reservations/{reservation_id}", "/v1/sales/{sale_id}/returns",  # rewards held, returns
        "/v1/accounts/{account_id}/export", "/v1/accounts/{account_id}/erase",  # customers' data
        "/v1/accounts/{account_id}/withdraw-marketing",
        "/v1/managers/{manager_id}/unlock",  # scoped keys
        "/v1/held-points/{sale_id}/{decision}",  # points held for review
        "/v1/sales/batch",  # batched delivery
        "/v1/staff/sign-on", "/v1/staff", "/v1/staff/{staff_id}/{action}", "/v1/anonymous-sales",  # cashiers
        "/v1/orders", "/v1/orders/{order_id}", "/v1/orders/lookup", "/v1/orders/{order_id}/pickup",  # click & collect
        "/v1/reports/survey",  # digital receipts' survey answers (the receipt pages /r/{token} are not in it)
    }
    schemas = document["components"]["schemas"]
    assert set(schemas["AccountSummary"]["properties"]) == set(ALICE_SUMMARY_EXCEPT_TIME) | {
        "balance_as_of", "presence", "referral_code"}
    assert schemas["SaleRequest"]["additionalProperties"] is False
    assert "HTTPValidationError" not in schemas  # 422 is documented with the contract's error shape
    sale = document["paths"]["/v1/sales"]["post"]
    assert {"201", "401", "404", "409", "422"} <= set(sale["responses"])
    assert any(p["name"] == "idempotency-key" for p in sale["parameters"])
    assert set(document["paths"]["/v1/health"]["get"]["responses"]) == {"200", "401"}
    error_schema = sale["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    assert error_schema == "#/components/schemas/ErrorResponse"


# -- identify --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone", [ALICE_PHONE, "02079460001", "+44 20 7946 0001", "0044 (0)20-7946-0001", "(020) 7946-0001", " +442079460001 "]
)
def test_identify_by_phone_in_common_formats(reader: httpx.Client, phone: str) -> None:
    response = identify(reader, "phone", phone)
    assert response.status_code == 200
    assert without_time(response.json()) == ALICE_SUMMARY_EXCEPT_TIME
    assert response.json()["presence"].startswith("PRS1.")


@pytest.mark.parametrize(
    ("method", "value"),
    [("card", "2991000000016"), ("card", "2991 0000 0001 6"), ("card", "2991-0000-0001-6"),
     ("qr", "LOYALTY:ZSKRIOZAAF25G5FS"), ("qr", " LOYALTY:ZSKRIOZAAF25G5FS\n"),
     ("nfc", "04:f5:11:7d:f9:17:05"), ("nfc", "04 F5 11 7D F9 17 05"), ("nfc", "04F5117DF91705")],
)
def test_identify_by_card_qr_and_nfc(reader: httpx.Client, method: str, value: str) -> None:
    response = identify(reader, method, value)
    assert response.status_code == 200
    assert response.json()["account_id"] == ALICE_ID


def test_account_summary_by_id(reader: httpx.Client) -> None:
    by_id = reader.get(f"/v1/accounts/{ALICE_ID}").json()
    assert without_time(by_id) == ALICE_SUMMARY_EXCEPT_TIME and by_id["presence"] is None
    assert error_code(reader.get("/v1/accounts/acc_000000000000")) == (404, "not_found")


def test_summary_at_the_top_tier_and_with_every_reward(reader: httpx.Client) -> None:
    chloe = identify(reader, "phone", "020 7946 0003").json()
    assert chloe["balance"] == 2450
    assert chloe["tier"] == {"name": "Gold", "multiplier": "1.5", "next_tier": None, "points_to_next_tier": None}
    assert chloe["next_reward"] is None
    assert [r["reward_id"] for r in chloe["rewards_available"]] == [
        "free-hot-drink", "five-off", "ten-percent", "spend-points"]
    assert chloe["rewards_available"][2]["discount"] == {"kind": "percent_off", "percent": 10, "cap": 2000}
    david = identify(reader, "phone", "020 7946 0004").json()
    assert (david["balance"], david["rewards_available"], david["next_reward"]["points_needed"]) == (0, [], 150)
    assert david["tier"]["points_to_next_tier"] == 1000


@pytest.mark.parametrize(
    ("method", "value", "expected"),
    [("phone", NEW_PHONE, (404, "unknown_customer")), ("card", "2991000009996", (404, "unknown_customer")),
     ("qr", "LOYALTY:AAAAAAAAAAAAAAAA", (404, "unknown_customer")), ("nfc", "04AABBCCDDEEFF", (404, "unknown_customer")),
     ("phone", "12345", (422, "invalid_value")), ("phone", "07700 900123", (422, "invalid_value")),
     ("phone", "", (422, "invalid_value")), ("card", "2991-ABC", (422, "invalid_value")),
     ("card", "", (422, "invalid_value")), ("nfc", "not hex", (422, "invalid_value")),
     ("nfc", "04F5117DF9170", (422, "invalid_value")), ("qr", "", (422, "invalid_value")),
     ("qr", "\x1b[31m", (422, "invalid_value"))],
)
def test_identify_unknown_and_malformed(reader: httpx.Client, method: str, value: str, expected: tuple[int, str]) -> None:
    response = identify(reader, method, value)
    assert error_code(response) == expected
    if value:
        assert value not in response.text


# -- enrol -------------------------------------------------------------------------------------------


def enrol(client: httpx.Client, phone: str = NEW_PHONE, **changes: Any) -> httpx.Response:
    body = {"phone": phone, "name": "Sam  Taylor", "consent": {"terms_version": "2026-01", "marketing": True},
            "store_id": "demo-store", "terminal_id": "till-9", **changes}
    return client.post("/v1/accounts", json=body)


def test_enrol_then_identify_and_the_consent_is_recorded(api: httpx.Client, live_db: Path | str) -> None:
    response = enrol(api, "+44 20 7946 0999")
    assert response.status_code == 201
    summary = response.json()
    assert summary["account_id"].startswith("acc_") and len(summary["account_id"]) == 16
    int(summary["account_id"][4:], 16)
    assert without_time(summary) == {
        "account_id": summary["account_id"], "display_name": "Sam T.", "currency": "GBP", "balance": 0,
        "tier": {"name": "Bronze", "multiplier": "1", "next_tier": "Silver", "points_to_next_tier": 1000},
        "next_reward": {"reward_id": "free-hot-drink", "name": "Free hot drink", "cost": 150, "points_needed": 150},
        "rewards_available": [], "email_masked": None, "email_receipts": False,
    }
    assert identify(api, "phone", NEW_PHONE).json()["account_id"] == summary["account_id"]
    assert error_code(enrol(api, "02079460999")) == (409, "already_enrolled")
    consent = rows(
        live_db,
        "SELECT terms_version, marketing, store_id, terminal_id, recorded_at FROM consents WHERE account_id = ?",
        (summary["account_id"],),
    )
    (stored,) = rows(live_db, "SELECT name, phone FROM accounts WHERE account_id = ?", (summary["account_id"],))
    assert len(consent) == 1 and consent[0][:4] == ("2026-01", 1, "demo-store", "till-9")
    assert consent[0][4].endswith("Z")
    assert stored == ("Sam Taylor", "+442079460999")


def test_enrol_without_store_or_terminal(api: httpx.Client, live_db: Path | str) -> None:
    body = {"phone": "020 7946 0998", "name": "Cher", "consent": {"terms_version": "2026-01", "marketing": False}}
    summary = api.post("/v1/accounts", json=body).json()
    assert summary["display_name"] == "Cher"
    assert rows(live_db, "SELECT marketing, store_id, terminal_id FROM consents WHERE account_id = ?",
                (summary["account_id"],)) == [(0, None, None)]


def test_the_consent_records_where_it_was_given(api: httpx.Client, live_db: Path | str) -> None:
    for phone, given_at in [("020 7946 0997", None), ("020 7946 0996", "till"),
                            ("020 7946 0995", "customer_display"), ("020 7946 0994", "kiosk")]:
        consent = {"terms_version": "2026-01", "marketing": False} | ({"given_at": given_at} if given_at else {})
        summary = enrol(api, phone, consent=consent).json()
        assert rows(live_db, "SELECT given_at FROM consents WHERE account_id = ?",
                    (summary["account_id"],)) == [(given_at or "till",)]
        export = api.get(f"/v1/accounts/{summary['account_id']}/export").json()
        assert [consent["given_at"] for consent in export["consents"]] == [given_at or "till"]
    for wrong in ["web", "", 1, None]:
        consent = {"terms_version": "2026-01", "marketing": False, "given_at": wrong}
        assert error_code(enrol(api, "020 7946 0993", consent=consent)) == (422, "invalid_request")


def test_enrol_refusals_change_nothing(api: httpx.Client) -> None:
    assert error_code(enrol(api, ALICE_PHONE)) == (409, "already_enrolled")
    assert error_code(enrol(api, "12345")) == (422, "invalid_phone")
    assert error_code(enrol(api, "07700 900123")) == (422, "invalid_phone")
    wrong_terms = enrol(api, consent={"terms_version": "2025-06", "marketing": False})
    assert error_code(wrong_terms) == (422, "terms_version_mismatch")
    assert error_code(enrol(api, name="   ")) == (422, "invalid_request")
    assert error_code(enrol(api, consent={"terms_version": "2026-01"})) == (422, "invalid_request")
    assert error_code(enrol(api, consent={"terms_version": "2026-01", "marketing": "yes"})) == (422, "invalid_request")
    assert error_code(identify(api, "phone", NEW_PHONE)) == (404, "unknown_customer")


@pytest.mark.parametrize("name", ["Sam\x00 Taylor", "Sam\tTaylor", "Sam\nTaylor", "\x1b[31mSam Taylor",
                                  "Sam\x7f Taylor", "Sam\x85 Taylor", "Sam\u2028Taylor"])
def test_a_name_with_a_control_character_is_refused_naming_the_field(api: httpx.Client, name: str) -> None:
    response = enrol(api, name=name)
    assert error_code(response) == (422, "invalid_request")
    assert response.json()["error"]["details"] == [{"field": "name", "problem": "holds a control character"}]
    assert error_code(identify(api, "phone", NEW_PHONE)) == (404, "unknown_customer")


@pytest.mark.parametrize("name", ["[/] Zed", "[@click=app.quit]Eve[/] Mallory", "\u202eZoë Ångström\u0301"])
def test_a_name_with_brackets_or_marks_is_kept_as_typed(api: httpx.Client, live_db: Path | str, name: str) -> None:
    summary = enrol(api, name=name).json()
    (stored,) = rows(live_db, "SELECT name FROM accounts WHERE account_id = ?", (summary["account_id"],))
    assert stored == (name,)
    first, last = name.split()[0], name.split()[-1]
    assert summary["display_name"] == f"{first} {last[0].upper()}."


# -- quote ---------------------------------------------------------------------------------------


def test_quote_prices_the_basket_and_changes_nothing(reader: httpx.Client) -> None:
    lines = [line(reader, "1001"), line(reader, "1005", 2), line(reader, "1034")]
    quote = reader.post("/v1/quote", json={"account_id": ALICE_ID, "currency": "GBP", "lines": lines,
                                          "rewards": ["free-hot-drink"]})
    assert quote.status_code == 200
    # £3.10 + 2 × £3.49 + £16.50 tobacco; the drink free; Silver earns 1.25 × £6.98 = 8.725 -> 8
    answered = quote.json()
    assert [(e["rule"], e["points"]) for e in answered.pop("breakdown")] == [
        ("base", "0"), ("base", "6.98"), ("excluded", "0"), ("tier", "1.745"), ("rounding", "-0.725")]
    assert answered == {
        "account_id": ALICE_ID, "currency": "GBP", "subtotal": 2658,
        "discounts": [{"reward_id": "free-hot-drink", "name": "Free hot drink", "amount": 310,
                       "lines": [{"line": 0, "amount": 310}]}],
        "discount_total": 310, "total": 2348, "eligible_amount": 698, "points_earned": 8,
        "points_redeemed": 150, "balance": 640, "balance_after": 498,
    }
    assert reader.get(f"/v1/accounts/{ALICE_ID}").json()["balance"] == 640


def test_quote_refusals(reader: httpx.Client) -> None:
    lines = [line(reader, "1005")]

    def quote(**changes: Any) -> httpx.Response:
        return reader.post("/v1/quote", json={"account_id": ALICE_ID, "lines": lines, **changes})

    assert quote().status_code == 200  # currency is optional on a quote
    assert error_code(quote(currency="EUR")) == (422, "currency_mismatch")
    assert error_code(quote(rewards=["ten-percent"])) == (422, "insufficient_points")
    assert error_code(quote(rewards=["free-hot-drink"])) == (422, "reward_not_available")
    assert error_code(quote(rewards=["no-such-reward"])) == (422, "reward_not_available")
    assert error_code(quote(rewards=["five-off", "five-off"])) == (422, "reward_not_available")
    assert error_code(quote(lines=[])) == (422, "invalid_request")
    assert error_code(quote(account_id="acc_000000000000")) == (404, "not_found")
    assert error_code(quote(lines=[{**lines[0], "unit_price": 3.49}])) == (422, "invalid_request")
    assert error_code(quote(lines=[{**lines[0], "unit_price": "349"}])) == (422, "invalid_request")
    assert error_code(quote(lines=[{**lines[0], "unit_price": -1}])) == (422, "invalid_request")
    assert error_code(quote(lines=[{**lines[0], "quantity": 0}])) == (422, "invalid_request")


# -- program, catalog, health ----------------------------------------------------------------------


def test_program(reader: httpx.Client) -> None:
    program = reader.get("/v1/program").json()
    notice = program.pop("privacy_notice")
    # Promotions, threshold bonuses and the rest (tests/service/test_promotions.py) are additions.
    assert program.pop("timezone") == "Europe/London"
    assert program["earning"].pop("excluded_products") == ["1033"]
    assert [p["promotion_id"] for p in program.pop("promotions")] == ["bun-afternoons", "bagel-bonus"]
    assert [b["bonus_id"] for b in program.pop("threshold_bonuses")] == ["big-shop"]
    assert (program.pop("return_days"), program.pop("return_pin_above")) == (30, 5000)
    assert program.pop("tier_qualification") == {"measure": "points", "window_days": None}
    assert program.pop("limits") == {"max_lines": 200, "max_quantity": 9999, "max_sale_amount": 1_000_000}
    spend_points = program["rewards"].pop()
    assert spend_points["discount"] == {"kind": "points_as_money", "value_per_point": "0.5", "min_points": 2000,
                                        "max_points": 10000}
    assert "name" in notice and "phone number" in notice and "ask in store" in notice
    assert program == {
        "currency": "GBP", "exponent": 2, "region": "GB", "terms_version": "2026-01",
        "earning": {"points_per_unit": 1, "excluded_categories": ["tobacco", "gift_cards"],
                    "rounding": "floor, once per sale, after discounts"},
        "tiers": [{"name": "Bronze", "threshold": 0, "multiplier": "1"},
                  {"name": "Silver", "threshold": 1000, "multiplier": "1.25"},
                  {"name": "Gold", "threshold": 3000, "multiplier": "1.5"}],
        "rewards": ALICE_SUMMARY_EXCEPT_TIME["rewards_available"] + [
            {"reward_id": "ten-percent", "name": "10% off your shop", "cost": 1000,
             "discount": {"kind": "percent_off", "percent": 10, "cap": 2000}, "description": "10% off, up to £20"}],
    }


def ean13_is_valid(code: str) -> bool:
    digits = [int(d) for d in code]
    return len(digits) == 13 and sum(d * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits)) % 10 == 0


def test_catalog(reader: httpx.Client) -> None:
    catalog = reader.get("/v1/catalog").json()
    assert catalog["currency"] == "GBP"
    products = catalog["products"]
    assert [p["sku"] for p in products] == [str(n) for n in range(1001, 1041)]
    assert all(set(p) == {"sku", "ean", "name", "category", "unit_price"} for p in products)
    assert all(ean13_is_valid(p["ean"]) and p["ean"].startswith("20") for p in products)
    assert len({p["ean"] for p in products}) == 40
    assert all(0 < len(p["name"]) <= 24 and isinstance(p["unit_price"], int) and p["unit_price"] > 0 for p in products)
    categories = {p["category"] for p in products}
    assert categories == {"bakery", "dairy", "produce", "hot_drinks", "beverages", "snacks", "household",
                          "alcohol", "tobacco", "gift_cards"}
    assert {"Flat white", "Tea", "Hot chocolate"} <= {p["name"] for p in products if p["category"] == "hot_drinks"}
    assert [(p["name"], p["unit_price"]) for p in products if p["category"] == "gift_cards"] == [("Gift card £20", 2000)]
    assert len([p for p in products if p["category"] == "tobacco"]) == 2


def test_ean13_check_is_real() -> None:
    assert ean13_is_valid("4006381333931") and not ean13_is_valid("4006381333932")


def test_health(reader: httpx.Client) -> None:
    health = reader.get("/v1/health").json()
    assert health["status"] == "ok" and health["time"].endswith("Z")
