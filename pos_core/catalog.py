"""The store's product master: what a scanned EAN or typed SKU is, and what it costs."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pos_core.money import currency_code

# The Loyalty API's longest line name: a longer one (from a catalog file) is cut to fit, so a
# long name never makes every quote and sale of the basket be refused.
NAME_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    ean: str | None
    name: str
    category: str
    unit_price: int  # minor units

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Product:
        return cls(
            sku=str(data["sku"]),
            ean=str(data["ean"]) if data.get("ean") else None,
            name=fitted_name(str(data["name"])),
            category=str(data["category"]),
            unit_price=int(data["unit_price"]),
        )


def fitted_name(name: str) -> str:
    """A product's name as the till keeps it: at most the contract's ``NAME_LIMIT`` characters."""
    return name if len(name) <= NAME_LIMIT else name[: NAME_LIMIT - 1] + "…"


class CatalogError(ValueError):
    """A catalog file that cannot be read."""


class Catalog:
    """Products looked up by SKU or EAN; what the item-entry field resolves codes against."""

    def __init__(self, products: Iterable[Product], currency: str, document: Mapping[str, Any] | None = None) -> None:
        self.currency = currency
        # The ``GET /v1/catalog`` document this came from, so the till can keep a copy.
        self.document = dict(document) if document is not None else None
        self._by_code: dict[str, Product] = {}
        self._products = tuple(products)
        for product in self._products:
            self._by_code[product.sku] = product
            if product.ean:
                self._by_code[product.ean] = product

    def __len__(self) -> int:
        return len(self._products)

    def __iter__(self):
        return iter(self._products)

    def lookup(self, code: str) -> Product | None:
        """The product with this SKU or EAN. A 12-digit UPC-A also matches its EAN-13 form."""
        code = code.strip()
        product = self._by_code.get(code)
        if product is None and len(code) == 12 and code.isdigit():
            product = self._by_code.get("0" + code)
        return product

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Catalog:
        """The ``GET /v1/catalog`` document."""
        return cls((Product.from_json(p) for p in data["products"]), currency_code(data["currency"]), data)

    @classmethod
    def from_csv(cls, path: Path, currency: str) -> Catalog:
        """A CSV file with the columns ``sku,ean,name,category,unit_price`` (price in minor units)."""
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
        except OSError as error:
            raise CatalogError(f"cannot read the catalog file {path}: {error.strerror}") from None
        products = []
        for number, row in enumerate(rows, start=2):
            try:
                products.append(Product.from_json(row))
            except (KeyError, ValueError, TypeError) as error:
                raise CatalogError(f"{path}, line {number}: bad product row ({error})") from None
        return cls(products, currency)
