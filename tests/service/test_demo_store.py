"""docs/demo-store.md is what the demo store really holds: generated from the seed data, and
every row checked against a running service."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from loyalty_service.demo_store import CUSTOMERS, ENROLMENT_PHONE, PRODUCTS, DemoCustomer, ean13_check_digit
from loyalty_service.demo_store_doc import render
from loyalty_service.phone_numbers import normalise_phone
from loyalty_service.program import load_program
from tests.service.api_calls import error_code, identify

DOC = Path(__file__).resolve().parents[2] / "docs" / "demo-store.md"


def table(heading: str) -> list[dict[str, str]]:
    """The rows of the first table under ``## heading``, by column name."""
    section = DOC.read_text(encoding="utf-8").split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    cells = [[cell.strip().strip("`") for cell in row.strip("|").split("|")] for row in rows]
    header, _rule, *body = cells
    return [dict(zip(header, row, strict=True)) for row in body]


def test_the_doc_is_generated_from_the_seed_data() -> None:
    assert DOC.read_text(encoding="utf-8") == render(load_program()), (
        "run: python -m loyalty_service.demo_store_doc > docs/demo-store.md")


def test_every_customer_in_the_doc_is_found_every_way_with_that_balance_and_tier(reader: httpx.Client) -> None:
    rows = table("Customers")
    assert len(rows) == len(CUSTOMERS) == 10
    for row in rows:
        found = {identify(reader, method, row[column]).json()["account_id"]
                 for method, column in [("phone", "phone"), ("card", "card"), ("qr", "QR payload"), ("nfc", "NFC UID")]}
        assert len(found) == 1, row
        summary = reader.get(f"/v1/accounts/{found.pop()}").json()
        first, last = row["name"].split()
        assert summary["display_name"] == f"{first} {last[0]}."
        assert (summary["balance"], summary["tier"]["name"]) == (int(row["balance"]), row["tier"])


def test_the_enrolment_number_is_free(reader: httpx.Client) -> None:
    assert ENROLMENT_PHONE in DOC.read_text(encoding="utf-8")
    assert error_code(identify(reader, "phone", ENROLMENT_PHONE)) == (404, "unknown_customer")


def test_the_showcase_products_are_in_the_catalog(reader: httpx.Client) -> None:
    catalog = {p["sku"]: p for p in reader.get("/v1/catalog").json()["products"]}
    rows = table("Products for a demo")
    assert {row["category"] for row in rows} >= {"hot_drinks", "bakery", "tobacco"}
    for row in rows:
        product = catalog[row["SKU"]]
        assert (product["ean"], product["name"], product["category"]) == (row["EAN-13"], row["name"], row["category"])
        assert f"£{product['unit_price'] / 100:.2f}" == row["price"]


@pytest.mark.parametrize("customer", CUSTOMERS, ids=lambda c: c.name)
def test_demo_identifiers_are_well_formed(customer: DemoCustomer) -> None:
    c = customer
    assert normalise_phone(c.phone, "GB") == "+4420794600" + c.phone[-2:]
    assert c.card.startswith("299") and len(c.card) == 13
    assert c.card[-1] == ean13_check_digit(c.card[:12])
    prefix, code = c.qr.split(":")
    assert prefix == "LOYALTY" and len(code) == 16 and set(code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert len(c.nfc) == 14 and int(c.nfc, 16) >= 0 and c.nfc == c.nfc.upper()
    assert 0 <= c.balance <= c.lifetime


def test_demo_identifiers_are_unique() -> None:
    for attribute in ("account_id", "phone", "card", "qr", "nfc"):
        assert len({getattr(c, attribute) for c in CUSTOMERS}) == len(CUSTOMERS), attribute
    assert len({p.ean for p in PRODUCTS}) == len({p.sku for p in PRODUCTS}) == len(PRODUCTS) == 40
