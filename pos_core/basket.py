"""The basket being rung up: immutable, so screens can hold it in a reactive and compare."""

from __future__ import annotations

from dataclasses import dataclass, replace

from pos_core.catalog import Product

MAX_QUANTITY = 999  # the Loyalty API takes up to 9 999 of one line; a till needs far fewer
MAX_LINES = 200  # the Loyalty API's most lines in one sale (docs/loyalty-api-v1.md, "Limits")


@dataclass(frozen=True, slots=True)
class BasketLine:
    product: Product
    quantity: int

    @property
    def line_total(self) -> int:
        return self.product.unit_price * self.quantity

    def to_json(self) -> dict[str, object]:
        """A sale line as the Loyalty API wants it."""
        return {
            "sku": self.product.sku,
            "name": self.product.name,
            "category": self.product.category,
            "quantity": self.quantity,
            "unit_price": self.product.unit_price,
        }


@dataclass(frozen=True, slots=True)
class Basket:
    lines: tuple[BasketLine, ...] = ()

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def subtotal(self) -> int:
        return sum(line.line_total for line in self.lines)

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    def add(self, product: Product, quantity: int = 1) -> Basket:
        """Add ``quantity`` of ``product``; scanning the same product again grows its line."""
        if quantity < 1:
            raise ValueError("quantity must be at least 1")
        for index, line in enumerate(self.lines):
            if line.product.sku == product.sku:
                return self.set_quantity(index, line.quantity + quantity)
        _check_quantity(quantity)
        if len(self.lines) >= MAX_LINES:
            raise ValueError(f"At most {MAX_LINES} different items in one sale: take payment for these, then start"
                             " another sale")
        return Basket((*self.lines, BasketLine(product, quantity)))

    def set_quantity(self, index: int, quantity: int) -> Basket:
        if quantity < 1:
            return self.void(index)
        _check_quantity(quantity)
        lines = list(self.lines)
        lines[index] = replace(lines[index], quantity=quantity)
        return Basket(tuple(lines))

    def void(self, index: int) -> Basket:
        return Basket(self.lines[:index] + self.lines[index + 1 :])

    def to_json(self) -> list[dict[str, object]]:
        return [line.to_json() for line in self.lines]


def _check_quantity(quantity: int) -> None:
    if quantity > MAX_QUANTITY:
        raise ValueError(f"at most {MAX_QUANTITY} of one item per line")
