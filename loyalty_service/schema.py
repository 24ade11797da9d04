"""The service's tables, written once for both databases.

The text is SQLite's; ``postgres_database`` derives PostgreSQL's from it (64-bit integers, identity
columns), so the two cannot drift. Tables are made in dependency order: PostgreSQL checks a
reference when the table is made.
"""

from __future__ import annotations

SCHEMA_VERSION = "1"

# Columns added to tables after databases of this schema version were made: (table, column,
# definition). ``CREATE TABLE`` above has them already; a database made before gets them added
# (``sqlite_database`` and ``postgres_database``), so an older file or database keeps working. A
# definition must suit ``ALTER TABLE ... ADD COLUMN`` on both (a constant default for NOT NULL).
ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("terminal_keys", "role", "TEXT NOT NULL DEFAULT 'till'"),
    ("accounts", "erased_at", "TEXT"),
    ("sales", "lines_removed", "TEXT"),
    ("managers", "failed_pins", "INTEGER NOT NULL DEFAULT 0"),
    ("consents", "given_at", "TEXT"),
    # Who sold, returned or enrolled (staff.py): a staff id as the till sent it; NULL when it sent none.
    ("sales", "cashier_id", "TEXT"),
    ("sale_returns", "cashier_id", "TEXT"),
    ("accounts", "enrolled_by", "TEXT"),
    # Digital receipts (digital_receipts.py): the address normalised, and the standing choice.
    ("accounts", "email", "TEXT"),
    ("accounts", "email_receipts", "INTEGER NOT NULL DEFAULT 0"),
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    account_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT NOT NULL UNIQUE,  -- E.164; one account per number ('erased:<account_id>' once erased)
    created_at TEXT NOT NULL,
    -- the cashier's staff id the enrolling till sent (staff.py); NULL when it sent none
    enrolled_by TEXT,
    -- the e-mail address (normalised; email_addresses.py) and whether every receipt goes to it
    email TEXT,
    email_receipts INTEGER NOT NULL DEFAULT 0,
    erased_at TEXT  -- set when the customer's data was erased (privacy.py): found by nothing since
);
-- What else a customer may carry: card digits, app QR payload, NFC UID (upper-case hex).
CREATE TABLE IF NOT EXISTS identifiers (
    method TEXT NOT NULL CHECK (method IN ('card', 'qr', 'nfc')),
    value TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    PRIMARY KEY (method, value)
);
CREATE INDEX IF NOT EXISTS identifiers_account ON identifiers(account_id);
CREATE TABLE IF NOT EXISTS consents (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    terms_version TEXT NOT NULL,
    marketing INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    store_id TEXT,
    terminal_id TEXT,
    -- 'given_at': where they agreed ('till', 'customer_display', 'kiosk'); NULL: a withdrawal, or older
    given_at TEXT
);
CREATE TABLE IF NOT EXISTS sales (
    sale_id TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    store_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- the staff id the till sent (staff.py); NULL when it sent none
    cashier_id TEXT,
    -- 'pruned' (sale_line_retention.py) or 'erased' (privacy.py) once the answer's lines are gone
    lines_removed TEXT
);
-- An account's sales by time: its list (newest first) and its count on a day (activity_flags.py),
-- read from the index alone. It takes the place of sales_account (account_id only).
CREATE INDEX IF NOT EXISTS sales_account_time ON sales(account_id, created_at);
DROP INDEX IF EXISTS sales_account;
CREATE INDEX IF NOT EXISTS sales_created ON sales(created_at);
-- One row per points movement; balances are sums over it, never stored apart.
CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    delta INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('opening', 'earn', 'redeem', 'adjust')),
    sale_id TEXT REFERENCES sales(sale_id),
    reward_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_account ON ledger(account_id);
CREATE TABLE IF NOT EXISTS products (
    sku TEXT PRIMARY KEY,
    ean TEXT UNIQUE,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    unit_price INTEGER NOT NULL CHECK (unit_price >= 0)
);
-- Nonces of app QR tokens already used (qr_tokens.py); a row is pruned once its token has expired.
CREATE TABLE IF NOT EXISTS qr_token_nonces (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
-- Rewards reserved by a till (reservations.py): points held, not spent; never ledger rows.
CREATE TABLE IF NOT EXISTS reservations (
    reservation_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    rewards TEXT NOT NULL,  -- JSON list of reward ids
    points INTEGER NOT NULL CHECK (points >= 0),
    store_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('held', 'released', 'expired', 'redeemed')),
    created_at TEXT NOT NULL,
    expires_at INTEGER NOT NULL,  -- Unix seconds
    sale_id TEXT  -- the sale that redeemed it
);
CREATE INDEX IF NOT EXISTS reservations_account ON reservations(account_id, status);
-- Returns of a sale's lines (returns.py), once per Idempotency-Key; the answer as given.
CREATE TABLE IF NOT EXISTS sale_returns (
    return_id TEXT PRIMARY KEY,
    sale_id TEXT NOT NULL REFERENCES sales(sale_id),
    request_hash TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_at TEXT NOT NULL,
    cashier_id TEXT  -- the staff id the till sent (staff.py); NULL when it sent none
);
CREATE INDEX IF NOT EXISTS sale_returns_sale ON sale_returns(sale_id);
-- Points of a sale held for review (points_review.py): recorded, not credited, until head office
-- releases them (then a ledger row) or reverses them; who decided and when.
CREATE TABLE IF NOT EXISTS held_points (
    sale_id TEXT PRIMARY KEY REFERENCES sales(sale_id),
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    store_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    points_earned INTEGER NOT NULL,
    points INTEGER NOT NULL CHECK (points >= 0),  -- still held: less what returns took back
    status TEXT NOT NULL CHECK (status IN ('held', 'released', 'reversed')),
    held_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by TEXT  -- the key id
);
CREATE INDEX IF NOT EXISTS held_points_status ON held_points(status, held_at);
-- Live updates (events.py): one row per change a till may show, numbered per account.
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- the global order, never reused
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (account_id, seq)
);
-- Keys (terminal_keys.py): only a keyed hash of each key. A till key is bound to a store and
-- terminal; an HQ key (role 'hq') to none (its store and terminal are '').
CREATE TABLE IF NOT EXISTS terminal_keys (
    key_id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    store_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'till'
);
-- Customers a till is serving (serving.py): identified or enrolled through it lately.
CREATE TABLE IF NOT EXISTS serving (
    store_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    until INTEGER NOT NULL,  -- Unix seconds
    PRIMARY KEY (store_id, terminal_id, account_id)
);
-- Proofs of presence (presence.py) that have backed a sale spending points: each backs one.
CREATE TABLE IF NOT EXISTS presence_used (
    nonce TEXT PRIMARY KEY,
    sale_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL  -- Unix seconds: after this the proof is refused anyway
);
-- Managers who may adjust points (managers.py): a salted scrypt hash of the PIN keyed with a
-- secret kept outside the database (pin_hashes.py); wrong PINs in a row (5 lock them out).
CREATE TABLE IF NOT EXISTS managers (
    manager_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    pin_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    failed_pins INTEGER NOT NULL DEFAULT 0
);
-- Cashiers who sign on at registers (staff.py): their PINs hashed and locked out as managers' are
-- (managers.py); a disabled cashier signs on no more, their id stays on the sales they made.
CREATE TABLE IF NOT EXISTS staff (
    staff_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    pin_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    failed_pins INTEGER NOT NULL DEFAULT 0,
    disabled_at TEXT
);
-- Sales without a member (anonymous_sales.py): counted, never credited; no account, no personal data.
CREATE TABLE IF NOT EXISTS anonymous_sales (
    sale_id TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    store_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    cashier_id TEXT,
    currency TEXT NOT NULL,
    lines TEXT NOT NULL,  -- JSON: sku, quantity, amount (minor units) per line
    subtotal INTEGER NOT NULL,
    total INTEGER NOT NULL,
    completed_at TEXT,  -- when the till completed it, as the till said
    created_at TEXT NOT NULL  -- when the service recorded it
);
CREATE INDEX IF NOT EXISTS anonymous_sales_created ON anonymous_sales(created_at);
-- The audit of manual points adjustments; each also has its ledger row (kind 'adjust').
CREATE TABLE IF NOT EXISTS adjustments (
    adjustment_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    points INTEGER NOT NULL,
    reason TEXT NOT NULL,
    manager TEXT NOT NULL,
    store_id TEXT,
    terminal_id TEXT,
    key_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS adjustments_account ON adjustments(account_id);
-- Attempts counted against a key's limits (rate_limit.py), by every service process alike.
CREATE TABLE IF NOT EXISTS rate_limit_hits (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,  -- the limit: lookup_misses, wrong_pins, enrolments
    key_id TEXT NOT NULL,
    expires_ms INTEGER NOT NULL  -- Unix milliseconds: it stops counting then
);
CREATE INDEX IF NOT EXISTS rate_limit_hits_key ON rate_limit_hits(name, key_id, expires_ms);
-- Accounts with unusually many loyalty transactions in a day (activity_flags.py).
CREATE TABLE IF NOT EXISTS account_flags (
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    day TEXT NOT NULL,
    transactions INTEGER NOT NULL,
    flagged_at TEXT NOT NULL,
    PRIMARY KEY (account_id, day)
);
-- Click & collect orders an online shop posted (orders.py), once per the shop's own order id.
-- ``points_at`` is the programme's click_and_collect_points when the order was placed: the one
-- moment it earns, kept with it, so a later change of the setting cannot make it earn twice or never.
-- ``sale_id``: the sale its points were recorded with (sales.py), once it earned.
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    pickup_code TEXT NOT NULL UNIQUE,  -- ORD-<20 Crockford base32 characters>: random, not the order id
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    store_id TEXT NOT NULL,  -- where it is collected
    points_at TEXT NOT NULL CHECK (points_at IN ('at_order', 'at_pickup')),
    status TEXT NOT NULL CHECK (status IN ('open', 'collected')),
    body TEXT NOT NULL,  -- the order as posted (JSON)
    sale_id TEXT REFERENCES sales(sale_id),
    created_at TEXT NOT NULL,
    collected_at TEXT,
    collected_terminal_id TEXT,
    pickup_answer TEXT,  -- the pickup's answer as given, for its replays
    lines_stripped TEXT  -- once its lines are gone from body and answer: pruned (retention) or erased (privacy)
);
CREATE INDEX IF NOT EXISTS orders_account ON orders(account_id, created_at);
-- Each member's referral code (referral_codes.py): made at enrolment, or when the service starts
-- for an account from before codes. Short, from letters and digits that cannot be misread.
CREATE TABLE IF NOT EXISTS referral_codes (
    account_id TEXT PRIMARY KEY REFERENCES accounts(account_id),
    code TEXT NOT NULL UNIQUE
);
-- A member who enrolled with another's code (referrals.py), one row per new member. The bonus,
-- paid after their first qualifying purchase, is a ledger row of kind 'adjust' for each (this row
-- is its audit, as adjustments is for a manager's); reversed with a full return of that purchase.
CREATE TABLE IF NOT EXISTS referrals (
    referee_id TEXT PRIMARY KEY REFERENCES accounts(account_id),
    referrer_id TEXT NOT NULL REFERENCES accounts(account_id) CHECK (referrer_id <> referee_id),
    code TEXT NOT NULL,
    -- pending: no qualifying purchase yet; paid; reversed (that purchase came back in full);
    -- capped: the referrer had had max_per_referrer_per_month bonuses that month, so none paid
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'reversed', 'capped')),
    created_at TEXT NOT NULL,
    sale_id TEXT REFERENCES sales(sale_id),  -- the qualifying purchase
    referrer_points INTEGER NOT NULL DEFAULT 0,
    referee_points INTEGER NOT NULL DEFAULT 0,
    paid_at TEXT,
    reversed_at TEXT
);
CREATE INDEX IF NOT EXISTS referrals_referrer ON referrals(referrer_id, paid_at);
CREATE INDEX IF NOT EXISTS referrals_sale ON referrals(sale_id);
-- Each member sale's digital receipt (digital_receipts.py): its page's unguessable token. What the
-- page and the e-mail show is read from the sale as stored. 'emailed_to': the masked address.
CREATE TABLE IF NOT EXISTS digital_receipts (
    sale_id TEXT PRIMARY KEY REFERENCES sales(sale_id),
    token TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    emailed_to TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS digital_receipts_account ON digital_receipts(account_id);
-- The durable e-mail queue (receipt_mail.py): one row per sale at most, so never sent twice. A
-- sender claims a row with a lease (lease_until_ms) in a write transaction; times in Unix ms.
-- 'address' is cleared once sent or failed.
CREATE TABLE IF NOT EXISTS receipt_emails (
    sale_id TEXT PRIMARY KEY REFERENCES sales(sale_id),
    address TEXT,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    lease_until_ms INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS receipt_emails_due ON receipt_emails(status, next_attempt_ms);
-- Answers to the programme's [[survey]] questions (survey_answers.py), once per receipt and
-- question, with where and what was sold: the sale's store, till, cashier and SKUs (JSON list).
CREATE TABLE IF NOT EXISTS survey_answers (
    sale_id TEXT NOT NULL REFERENCES sales(sale_id),
    question_id TEXT NOT NULL,
    answer TEXT NOT NULL,
    store_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    cashier_id TEXT,
    skus TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (sale_id, question_id)
);
CREATE INDEX IF NOT EXISTS survey_answers_question ON survey_answers(question_id, answered_at);
"""
