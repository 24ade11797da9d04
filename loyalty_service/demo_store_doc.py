"""docs/demo-store.md, written from the seed data so the two cannot drift apart.

    python -m loyalty_service.demo_store_doc > docs/demo-store.md
"""

from __future__ import annotations

from loyalty_service.demo_store import CUSTOMERS, ENROLMENT_PHONE, PRODUCTS, DemoCustomer
from loyalty_service.program import Program, load_program

# A handful of products that show the rules at the till: a hot drink for the free-drink reward,
# everyday lines that earn, and the excluded categories that neither earn nor take discounts.
SHOWCASE_SKUS = ("1001", "1002", "1005", "1006", "1011", "1031", "1034", "1036")


def _pounds(pence: int) -> str:
    return f"£{pence // 100}.{pence % 100:02d}"


def _what_it_shows(customer: DemoCustomer, program: Program) -> str:
    tier, following = program.tier_for(customer.lifetime)
    affordable = [r for r in program.rewards if r.cost <= customer.balance]
    upcoming = next((r for r in program.rewards if r.cost > customer.balance), None)
    parts = []
    if not affordable:
        parts.append("no reward yet")
    elif upcoming is None:
        parts.append("every reward")
    else:
        parts.append("can use " + ", ".join(r.name.lower() for r in affordable))
    if upcoming is not None:
        parts.append(f"{upcoming.cost - customer.balance} to {upcoming.name.lower()}")
    if following is not None and following.threshold - customer.lifetime <= 50:
        parts.append(f"{following.threshold - customer.lifetime} lifetime points from {following.name}")
    return "; ".join(parts)


def render(program: Program) -> str:
    rows = []
    for c in CUSTOMERS:
        tier, _ = program.tier_for(c.lifetime)
        rows.append(
            f"| {c.name} | {c.phone} | {c.card} | `{c.qr}` | {c.nfc} | {c.balance} | {tier.name} |"
            f" {_what_it_shows(c, program)} |"
        )
    products = {p.sku: p for p in PRODUCTS}
    product_rows = [
        f"| {p.sku} | {p.ean} | {p.name} | {p.category} | {_pounds(p.unit_price)} |"
        for p in (products[sku] for sku in SHOWCASE_SKUS)
    ]
    excluded = " and ".join(program.excluded_categories)
    return "\n".join([
        "# The demo store",
        "",
        "`loyalty-service --demo` (and the till's embedded service) seeds these customers and a catalog",
        f"of {len(PRODUCTS)} products (SKUs {PRODUCTS[0].sku}–{PRODUCTS[-1].sku}) into a new database, once:"
        " run it again on",
        "the same file and balances are kept. The names are fictional; the phone numbers are from",
        "Ofcom's range kept for drama, so they ring nobody.",
        "",
        "This file is generated: `python -m loyalty_service.demo_store_doc > docs/demo-store.md`.",
        "",
        "## Customers",
        "",
        "Each can be found by phone (any common format), card number, app QR payload or NFC UID.",
        "",
        "| name | phone | card | QR payload | NFC UID | balance | tier | shows |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        f"**{ENROLMENT_PHONE}** has no account: use it to demonstrate enrolment. Consent must be to",
        f"the terms version `{program.terms_version}`.",
        "",
        "## Products for a demo",
        "",
        f"Points: {program.points_per_unit} per £1 of eligible spend, times the tier's multiplier, rounded down",
        f"once per sale. Lines in {excluded} earn nothing and take no discount.",
        "",
        "| SKU | EAN-13 | name | category | price |",
        "| --- | --- | --- | --- | --- |",
        *product_rows,
        "",
    ])


if __name__ == "__main__":
    print(render(load_program()), end="")
