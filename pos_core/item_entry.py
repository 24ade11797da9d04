"""What the cashier types in the item field: ``1001``, ``5012345678900``, or ``3*1001`` for three."""

from __future__ import annotations

from dataclasses import dataclass

from pos_core.basket import MAX_QUANTITY


class InvalidItemEntry(ValueError):
    """Text that is not a product code; ``str()`` says what to type instead."""


@dataclass(frozen=True, slots=True)
class ItemEntry:
    code: str
    quantity: int = 1


def parse_item_entry(text: str) -> ItemEntry:
    cleaned = "".join(text.split())
    if not cleaned:
        raise InvalidItemEntry("Scan an item or type its code.")
    quantity = 1
    if "*" in cleaned:
        count, _, cleaned = cleaned.partition("*")
        if not count.isdigit() or not cleaned:
            raise InvalidItemEntry("For several of one item type the count, *, then the code: 3*1001.")
        quantity = int(count)
        if not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidItemEntry(f"The count must be between 1 and {MAX_QUANTITY}.")
    if not cleaned.isalnum() or not cleaned.isascii() or len(cleaned) > 32:
        raise InvalidItemEntry("That is not a product code. Scan the item again or type the code on its label.")
    return ItemEntry(code=cleaned, quantity=quantity)
