"""The demo store: a catalog of 40 products and 10 customers, seeded once into a database.

Phone numbers are from Ofcom's range kept for drama (020 7946 0xxx), so they ring nobody.
EANs use the in-store prefix 20 and loyalty cards 299, so neither matches a real product.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from loyalty_service import referral_codes
from loyalty_service.clock import utc_now
from loyalty_service.database import Connection
from loyalty_service.phone_numbers import normalise_phone
from loyalty_service.program import Program

# Left unenrolled on purpose: the README enrols it to show how enrolment works.
ENROLMENT_PHONE = "020 7946 0999"


def ean13_check_digit(first12: str) -> str:
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(first12))
    return str((10 - total % 10) % 10)


def ean13(first12: str) -> str:
    return first12 + ean13_check_digit(first12)


@dataclass(frozen=True, slots=True)
class DemoProduct:
    sku: str
    name: str
    category: str
    unit_price: int  # pence

    @property
    def ean(self) -> str:
        # 20 (in-store), then 000, the SKU, and 000: readable, and clear of real products
        return ean13(f"20000{self.sku}000")


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    account_id: str
    name: str
    phone: str  # as a customer would say it
    card_body: str  # the card number without its check digit
    qr: str
    nfc: str
    lifetime: int  # points ever earned: sets the tier
    balance: int  # what is left after rewards taken before

    @property
    def card(self) -> str:
        return ean13(self.card_body)


PRODUCTS = (
    DemoProduct("1001", "Flat white", "hot_drinks", 310),
    DemoProduct("1002", "Tea", "hot_drinks", 220),
    DemoProduct("1003", "Hot chocolate", "hot_drinks", 340),
    DemoProduct("1004", "Americano", "hot_drinks", 280),
    DemoProduct("1005", "Sourdough loaf", "bakery", 349),
    DemoProduct("1006", "Croissant", "bakery", 135),
    DemoProduct("1007", "Wholemeal bread", "bakery", 145),
    DemoProduct("1008", "Cinnamon bun", "bakery", 225),
    DemoProduct("1009", "Semi-skimmed milk 2L", "dairy", 165),
    DemoProduct("1010", "Free-range eggs x6", "dairy", 239),
    DemoProduct("1011", "Cheddar 400g", "dairy", 375),
    DemoProduct("1012", "Greek yoghurt 500g", "dairy", 199),
    DemoProduct("1013", "Butter 250g", "dairy", 225),
    DemoProduct("1014", "Bananas x5", "produce", 89),
    DemoProduct("1015", "Gala apples x6", "produce", 175),
    DemoProduct("1016", "Vine tomatoes 500g", "produce", 150),
    DemoProduct("1017", "Baby spinach 200g", "produce", 125),
    DemoProduct("1018", "Avocado", "produce", 95),
    DemoProduct("1019", "Still water 1.5L", "beverages", 75),
    DemoProduct("1020", "Orange juice 1L", "beverages", 210),
    DemoProduct("1021", "Sparkling water 6x500ml", "beverages", 325),
    DemoProduct("1022", "Cola 2L", "beverages", 199),
    DemoProduct("1023", "Salted crisps 150g", "snacks", 145),
    DemoProduct("1024", "Dark chocolate 100g", "snacks", 185),
    DemoProduct("1025", "Mixed nuts 200g", "snacks", 299),
    DemoProduct("1026", "Oat biscuits", "snacks", 119),
    DemoProduct("1027", "Washing-up liquid", "household", 129),
    DemoProduct("1028", "Kitchen roll x2", "household", 249),
    DemoProduct("1029", "Bin bags x20", "household", 199),
    DemoProduct("1030", "Laundry pods x24", "household", 650),
    DemoProduct("1031", "Red wine 75cl", "alcohol", 899),
    DemoProduct("1032", "Lager 4x440ml", "alcohol", 550),
    DemoProduct("1033", "Cider 500ml", "alcohol", 225),
    DemoProduct("1034", "Cigarettes 20", "tobacco", 1650),
    DemoProduct("1035", "Rolling tobacco 30g", "tobacco", 1895),
    DemoProduct("1036", "Gift card £20", "gift_cards", 2000),
    DemoProduct("1037", "Espresso", "hot_drinks", 190),
    DemoProduct("1038", "Bagels x4", "bakery", 165),
    DemoProduct("1039", "Blueberries 150g", "produce", 200),
    DemoProduct("1040", "Cappuccino", "hot_drinks", 320),
)

# Balances chosen to show each state a till must explain (see docs/demo-store.md).
CUSTOMERS = (
    DemoCustomer("acc_7f3a9c2e51d0", "Alice Smith", "020 7946 0001", "299100000001",
                 "LOYALTY:ZSKRIOZAAF25G5FS", "04F5117DF91705", lifetime=1140, balance=640),
    DemoCustomer("acc_e48f54a256bf", "Ben Jones", "020 7946 0002", "299100000002",
                 "LOYALTY:IUA54JL22JWFFQRN", "041C71D4EF652E", lifetime=130, balance=130),
    DemoCustomer("acc_4fbd1e48ddc1", "Chloe Patel", "020 7946 0003", "299100000003",
                 "LOYALTY:3ELV7XLV2HOOEUAI", "04CA745FDD7A7D", lifetime=3600, balance=2450),
    DemoCustomer("acc_9216d8d7d398", "David Okafor", "020 7946 0004", "299100000004",
                 "LOYALTY:KEELFDY7SNLBXFZQ", "04669693C708D4", lifetime=0, balance=0),
    DemoCustomer("acc_43552b251501", "Emma Wilson", "020 7946 0005", "299100000005",
                 "LOYALTY:VRF5LVU76PYWQHUC", "0439315BBD680B", lifetime=1000, balance=1000),
    DemoCustomer("acc_080ddc04ca65", "Farah Ahmed", "020 7946 0006", "299100000006",
                 "LOYALTY:CNHIWB5MJH3LYMZ5", "04C2A96E47BC43", lifetime=2990, balance=520),
    DemoCustomer("acc_fc30b5e64c07", "George Brown", "020 7946 0007", "299100000007",
                 "LOYALTY:DRP3TWK4YVYICWE5", "046BE5B01E1323", lifetime=149, balance=149),
    DemoCustomer("acc_687d620ba627", "Hannah Lee", "020 7946 0008", "299100000008",
                 "LOYALTY:XVQNIFQLIEOOTKOB", "04A07FDCFDCE79", lifetime=499, balance=499),
    DemoCustomer("acc_5d2b95e223ac", "Isaac Novak", "020 7946 0009", "299100000009",
                 "LOYALTY:WRF2HLOIPVTNVBM7", "040135AFDE81DB", lifetime=9000, balance=5210),
    DemoCustomer("acc_e0eabd4454f5", "Julia Rossi", "020 7946 0010", "299100000010",
                 "LOYALTY:UNYN6ZRL2UNMWA3N", "04FF7607D790F0", lifetime=150, balance=150),
)


def demo_referral_code(account_id: str) -> str:
    """A demo customer's referral code, the same in every demo database (a real one is random)."""
    digest = hashlib.sha256(account_id.encode()).digest()
    raw = "".join(referral_codes.ALPHABET[byte % len(referral_codes.ALPHABET)] for byte in digest[: referral_codes.LENGTH])
    return f"{raw[:4]}-{raw[4:]}"


def seed(conn: Connection, program: Program) -> bool:
    """Seed the demo store unless it is there already; True when seeded now. Inside a transaction."""
    if conn.execute("SELECT 1 FROM meta WHERE key = 'demo_seeded'").fetchone():
        return False
    stamp = utc_now()
    conn.executemany(
        "INSERT INTO products (sku, ean, name, category, unit_price) VALUES (?, ?, ?, ?, ?)",
        [(p.sku, p.ean, p.name, p.category, p.unit_price) for p in PRODUCTS],
    )
    for customer in CUSTOMERS:
        account_id = customer.account_id
        phone = normalise_phone(customer.phone, program.region)
        conn.execute(
            "INSERT INTO accounts (account_id, name, phone, created_at) VALUES (?, ?, ?, ?)",
            (account_id, customer.name, phone, stamp),
        )
        conn.executemany(
            "INSERT INTO identifiers (method, value, account_id) VALUES (?, ?, ?)",
            [("card", customer.card, account_id), ("qr", customer.qr, account_id), ("nfc", customer.nfc, account_id)],
        )
        # The demo's codes are fixed, so the README, the screenshots and the tests can name them.
        conn.execute("INSERT INTO referral_codes (account_id, code) VALUES (?, ?)",
                     (account_id, demo_referral_code(account_id)))
        conn.execute(
            "INSERT INTO consents (account_id, terms_version, marketing, recorded_at, store_id, terminal_id)"
            " VALUES (?, ?, 0, ?, 'demo-store', NULL)",
            (account_id, program.terms_version, stamp),
        )
        # The opening row carries the lifetime points (the tier); a redeem row, the rewards taken since.
        if customer.lifetime:
            conn.execute(
                "INSERT INTO ledger (account_id, delta, kind, created_at) VALUES (?, ?, 'opening', ?)",
                (account_id, customer.lifetime, stamp),
            )
        if customer.lifetime > customer.balance:
            conn.execute(
                "INSERT INTO ledger (account_id, delta, kind, created_at) VALUES (?, ?, 'redeem', ?)",
                (account_id, customer.balance - customer.lifetime, stamp),
            )
    conn.execute("INSERT INTO meta (key, value) VALUES ('demo_seeded', ?)", (stamp,))
    return True
