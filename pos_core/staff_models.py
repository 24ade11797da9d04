"""The service's answers about cashiers and sales without a customer, as the till reads them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Json = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A cashier the service signed on (``POST /v1/staff/sign-on``)."""

    staff_id: str
    name: str

    @classmethod
    def from_json(cls, data: Json) -> StaffMember:
        return cls(staff_id=str(data["staff_id"]), name=str(data["name"]))


@dataclass(frozen=True, slots=True)
class AnonymousSaleResult:
    """The service's record of a sale without a customer (``POST /v1/anonymous-sales``)."""

    sale_id: str
    total: int
    document: Json = field(default_factory=dict, compare=False, repr=False)
    replayed: bool = False  # the service had it already (``Idempotent-Replayed: true``) and counted nothing

    @classmethod
    def from_json(cls, data: Json) -> AnonymousSaleResult:
        total = data["total"]
        if not isinstance(total, int) or isinstance(total, bool):
            raise TypeError("total is not an integer")
        return cls(sale_id=str(data["sale_id"]), total=total, document=data)
