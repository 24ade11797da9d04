"""The demo store: a catalog of 40 products and 10 customers, seeded once into an empty database.

Phone numbers are from Ofcom's ranges kept for drama (020 7946 0xxx), so they ring nobody.
EANs use the in-store prefix 20 and loyalty cards 299, so neither matches a real product.
"""

from __future__ import annotations

import sqlite3

from loyalty_service.accounts import now


def ean13_check_digit(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def ean13(first12: str) -> str:
    return first12 + ean13_check_digit(first12)


# (sku, name, category, price in pence)
PRODUCTS = [
    ("1001", "Flat white", "hot_drinks", 310),
    ("1002", "Breakfast tea", "hot_drinks", 220),
    ("1003", "Hot chocolate", "hot_drinks", 340),
    ("1004", "Americano", "hot_drinks", 280),
    ("1005", "Sourdough loaf", "bakery", 349),
    ("1006", "Croissant", "bakery", 135),
    ("1007", "Wholemeal bread", "bakery", 145),
    ("1008", "Cinnamon bun", "bakery", 225),
    ("1009", "Semi-skimmed milk 2L", "dairy", 165),
    ("1010", "Free-range eggs x6", "dairy", 239),
    ("1011", "Cheddar 400g", "dairy", 375),
    ("1012", "Greek yoghurt 500g", "dairy", 199),
    ("1013", "Butter 250g", "dairy", 225),
    ("1014", "Bananas x5", "produce", 89),
    ("1015", "Gala apples x6", "produce", 175),
    ("1016", "Vine tomatoes 500g", "produce", 150),
    ("1017", "Baby spinach 200g", "produce", 125),
    ("1018", "Avocado", "produce", 95),
    ("1019", "Still water 1.5L", "beverages", 75),
    ("1020", "Orange juice 1L", "beverages", 210),
    ("1021", "Sparkling water 6x500ml", "beverages", 325),
    ("1022", "Cola 2L", "beverages", 199),
    ("1023", "Salted crisps 150g", "snacks", 145),
    ("1024", "Dark chocolate 100g", "snacks", 185),
    ("1025", "Mixed nuts 200g", "snacks", 299),
    ("1026", "Oat biscuits", "snacks", 119),
    ("1027", "Washing-up liquid", "household", 129),
    ("1028", "Kitchen roll x2", "household", 249),
    ("1029", "Bin bags x20", "household", 199),
    ("1030", "Laundry pods x24", "household", 650),
    ("1031", "Red wine 75cl", "alcohol", 899),
    ("1032", "Lager 4x440ml", "alcohol", 550),
    ("1033", "Cider 500ml", "alcohol", 225),
    ("1034", "Cigarettes 20", "tobacco", 1650),
    ("1035", "Rolling tobacco 30g", "tobacco", 1895),
    ("1036", "Gift card £20", "gift_cards", 2000),
    ("1037", "Pasta 500g", "groceries", 95),
    ("1038", "Tinned tomatoes", "groceries", 65),
    ("1039", "Basmati rice 1kg", "groceries", 260),
    ("1040", "Olive oil 500ml", "groceries", 499),
]

# (name, phone as typed, lifetime points, balance, card digits before the check digit, QR payload, NFC UID)
# Lifetime points set the tier; the difference to the balance was spent on rewards before.
CUSTOMERS = [
    ("Alice Smith", "020 7946 0001", 1500, 640, "299000000001", "LOYALTY:ALICE7QZ3MB2XK4PD", "04A1B2C3D4E501"),
    ("Ben Jones", "020 7946 0002", 130, 130, "299000000002", "LOYALTY:BENJ5TW8RC6YH2NF", "04A1B2C3D4E502"),
    ("Chloe Patel", "020 7946 0003", 4200, 2450, "299000000003", "LOYALTY:CHLO2VK9PX4MD7QS", "04A1B2C3D4E503"),
    ("David Okafor", "020 7946 0004", 0, 0, "299000000004", "LOYALTY:DAVO8NB3WQ6ZT5LC", "04A1B2C3D4E504"),
    ("Emma Wilson", "020 7946 0005", 1000, 1000, "299000000005", "LOYALTY:EMMW4HJ7XD2RK9VB", "04A1B2C3D4E505"),
    ("Farah Ahmed", "020 7946 0006", 3400, 3400, "299000000006", "LOYALTY:FARA6QP2LM8YC3TG", "04A1B2C3D4E506"),
    ("George Brown", "020 7946 0007", 2800, 480, "299000000007", "LOYALTY:GEOB3ZX5KN7WF2RD", "04A1B2C3D4E507"),
    ("Hannah Lee", "020 7946 0008", 149, 149, "299000000008", "LOYALTY:HANL9CV4TB6PM8QJ", "04A1B2C3D4E508"),
    ("Isaac Novak", "020 7946 0009", 9000, 5210, "299000000009", "LOYALTY:ISAN2RW7GH5XK3YD", "04A1B2C3D4E509"),
    ("Julia Rossi", "020 7946 0010", 75, 75, "299000000010", "LOYALTY:JULR7MF3QS9BN4WC", "04A1B2C3D4E510"),
]


def seed(conn: sqlite3.Connection, phone_to_e164) -> bool:
    """Seed the demo store unless it is there already; True when seeded now. Inside a transaction."""
    if conn.execute("SELECT 1 FROM meta WHERE key = 'demo_seeded'").fetchone():
        return False
    stamp = now()
    for sku, name, category, unit_price in PRODUCTS:
        conn.execute(
            "INSERT INTO products (sku, ean, name, category, unit_price) VALUES (?, ?, ?, ?, ?)",
            (sku, ean13("2000000" + sku + "0"), name, category, unit_price),
        )
    for number, (name, phone, lifetime, balance, card, qr, nfc) in enumerate(CUSTOMERS, start=1):
        account_id = f"acc_demo{number:08d}"
        conn.execute("INSERT INTO accounts (account_id, name, created_at) VALUES (?, ?, ?)", (account_id, name, stamp))
        for method, value in (("phone", phone_to_e164(phone)), ("card", ean13(card)), ("qr", qr), ("nfc", nfc)):
            conn.execute("INSERT INTO identifiers (method, value, account_id) VALUES (?, ?, ?)", (method, value, account_id))
        if lifetime:
            conn.execute(
                "INSERT INTO ledger (account_id, delta, kind, created_at) VALUES (?, ?, 'opening', ?)",
                (account_id, lifetime, stamp),
            )
        if lifetime > balance:
            conn.execute(
                "INSERT INTO ledger (account_id, delta, kind, created_at) VALUES (?, ?, 'redeem', ?)",
                (account_id, balance - lifetime, stamp),
            )
    conn.execute("INSERT INTO meta (key, value) VALUES ('demo_seeded', ?)", (stamp,))
    return True
