"""The request bodies of Loyalty API v1 as pydantic models; unknown fields are refused."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IdentifyRequest(Request):
    method: Literal["phone", "card", "qr", "nfc"]
    value: str = Field(max_length=4096)


class Consent(Request):
    terms_version: str = Field(max_length=64)
    marketing: bool


class EnrolRequest(Request):
    phone: str = Field(max_length=64)
    name: str = Field(max_length=120)
    consent: Consent
    store_id: str | None = Field(default=None, max_length=64)
    terminal_id: str | None = Field(default=None, max_length=64)


class SaleLine(Request):
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(max_length=200)
    category: str = Field(max_length=64)
    quantity: int = Field(ge=1, le=100_000)
    unit_price: int = Field(ge=0, le=10**10)


class TenderLine(Request):
    method: Literal["cash", "card"]
    amount: int = Field(gt=0, le=10**11)


class QuoteRequest(Request):
    account_id: str = Field(max_length=64)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    lines: list[SaleLine] = Field(min_length=1, max_length=1000)
    rewards: list[str] = Field(default_factory=list, max_length=20)


class SaleRequest(Request):
    account_id: str = Field(max_length=64)
    store_id: str = Field(min_length=1, max_length=64)
    terminal_id: str = Field(min_length=1, max_length=64)
    currency: str = Field(min_length=3, max_length=3)
    lines: list[SaleLine] = Field(min_length=1, max_length=1000)
    rewards: list[str] = Field(default_factory=list, max_length=20)
    tender: list[TenderLine] = Field(default_factory=list, max_length=20)
