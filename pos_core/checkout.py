"""The till's loyalty work, shared by the register and the kiosk: no screens, only I/O and rules.

Identify, enrol, quote and complete a sale through the loyalty client. The apps call these from
workers and turn the errors (``loyalty_errors``, ``InvalidPhoneNumber``) into words.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from pos_core.catalog import Catalog
from pos_core.loyalty_client import LoyaltyClient
from pos_core.loyalty_models import AccountSummary, Program, Quote
from pos_core.phone_number import PhoneNumber, parse_phone
from pos_core.sale import CompletedSale, Sale, Tender, amount_due
from pos_core.settings import Settings


class PaymentError(ValueError):
    """Tender that cannot pay for the sale; the message says why."""


class Checkout:
    def __init__(
        self,
        client: LoyaltyClient,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        new_sale_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self.client = client
        self.settings = settings
        self.clock = clock
        self.new_sale_id = new_sale_id
        self.program: Program | None = None
        self.catalog: Catalog | None = None

    @property
    def region(self) -> str:
        return (self.program.region if self.program and self.program.region else self.settings.region).upper()

    @property
    def currency(self) -> str:
        if self.program:
            return self.program.currency
        return self.catalog.currency if self.catalog else "GBP"

    async def load_store(self) -> None:
        """Fetch the program and the catalog (the catalog from a file when one is configured)."""
        self.program = await self.client.program()
        if self.settings.catalog_file is not None:
            self.catalog = Catalog.from_csv(self.settings.catalog_file, self.program.currency)
        else:
            self.catalog = await self.client.catalog()

    def new_sale(self) -> Sale:
        return Sale(
            store_id=self.settings.store_id,
            terminal_id=self.settings.terminal_id,
            currency=self.currency,
            sale_id=self.new_sale_id(),
        )

    def parse_phone(self, text: str) -> PhoneNumber:
        return parse_phone(text, self.region)

    async def identify(self, method: str, value: str) -> AccountSummary:
        """Look up who a device read; a phone number is checked here before any call."""
        if method == "phone":
            value = self.parse_phone(value).e164
        return await self.client.identify(method, value)

    async def enrol(self, *, phone: str, name: str, marketing: bool) -> AccountSummary:
        if self.program is None:
            self.program = await self.client.program()
        number = self.parse_phone(phone)
        clean_name = " ".join(name.split())
        if not clean_name:
            raise ValueError("Enter the customer's name.")
        return await self.client.enrol(
            phone=number.e164,
            name=clean_name,
            terms_version=self.program.terms_version,
            marketing=marketing,
            store_id=self.settings.store_id,
            terminal_id=self.settings.terminal_id,
        )

    async def quote(self, sale: Sale) -> Quote | None:
        """The loyalty quote for this basket, or None when there is no customer or basket."""
        if sale.customer is None or not sale.basket.lines:
            return None
        return await self.client.quote(
            account_id=sale.customer.account_id,
            currency=sale.currency,
            lines=sale.basket.to_json(),
            rewards=sale.rewards,
        )

    async def complete(self, sale: Sale, tender: tuple[Tender, ...], quote: Quote | None) -> CompletedSale:
        """Take payment and credit the customer; the sale id makes a repeat harmless.

        A repeat must carry the same tender: the service refuses another body under the same id.
        """
        due = amount_due(sale, quote)
        check_tender(tender, due)
        if sale.customer is None:
            return self._completed_locally(sale, tender, quote)
        result = await self.client.record_sale(sale.sale_id, sale.loyalty_body(tender))
        return CompletedSale(
            sale,
            tender,
            total=result.total,
            change=result.change,
            completed_at=self._now(),
            loyalty=result,
            discounts=result.discounts,
        )

    def complete_without_points(self, sale: Sale, tender: tuple[Tender, ...], quote: Quote | None) -> CompletedSale:
        """The customer has paid but the service never confirmed: close the sale, say so on the receipt."""
        return self._completed_locally(sale, tender, quote, points_unconfirmed=sale.customer is not None)

    def _completed_locally(
        self, sale: Sale, tender: tuple[Tender, ...], quote: Quote | None, *, points_unconfirmed: bool = False
    ) -> CompletedSale:
        due = amount_due(sale, quote)
        return CompletedSale(
            sale,
            tender,
            total=due,
            change=sum(t.amount for t in tender) - due,
            completed_at=self._now(),
            discounts=quote.discounts if quote and sale.customer else (),
            points_unconfirmed=points_unconfirmed,
        )

    def _now(self) -> str:
        return self.clock().astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def check_tender(tender: tuple[Tender, ...], due: int) -> None:
    """Tender must cover the total; only cash can be more than what is due (the change)."""
    paid = sum(t.amount for t in tender)
    if paid < due:
        raise PaymentError("The payment does not cover the total.")
    card = sum(t.amount for t in tender if t.method == "card")
    if card > due:
        raise PaymentError("A card payment cannot be more than the total.")
