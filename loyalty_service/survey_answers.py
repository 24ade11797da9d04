"""Answers to the programme's ``[[survey]]`` questions from a digital receipt's page: stored once
per receipt and question, with the sale's store, till, cashier and SKUs and the time."""

from __future__ import annotations

import json
from dataclasses import dataclass

from loyalty_service.clock import utc_now
from loyalty_service.database import Connection
from loyalty_service.program import SurveyQuestion


@dataclass(frozen=True, slots=True)
class ReceiptSale:
    """What an answer is stored with: the sale as the till recorded it."""

    sale_id: str
    store_id: str
    terminal_id: str
    cashier_id: str | None
    skus: list[str]


class NotAChoice(ValueError):
    """An answer the question does not offer, or a question the receipt does not ask."""


def answered(conn: Connection, sale_id: str) -> dict[str, str]:
    """The receipt's answers so far: question id -> answer."""
    return {r["question_id"]: r["answer"] for r in conn.execute(
        "SELECT question_id, answer FROM survey_answers WHERE sale_id = ?", (sale_id,)).fetchall()}


def record_answers(conn: Connection, sale: ReceiptSale, asked: list[SurveyQuestion], given: dict[str, str]) -> int:
    """Store the answers ``given`` (question id -> choice) to questions the receipt ``asked``;
    how many were new (a question answered before keeps its first answer). NotAChoice, storing
    nothing, when one is not among its question's choices. In a write transaction."""
    by_id = {q.question_id: q for q in asked}
    for question_id, answer in given.items():
        question = by_id.get(question_id)
        if question is None or answer not in question.answers:
            raise NotAChoice(question_id)
    stamp = utc_now()
    new = 0
    for question_id, answer in given.items():
        new += conn.execute(
            "INSERT INTO survey_answers (sale_id, question_id, answer, store_id, terminal_id, cashier_id, skus,"
            " answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sale_id, question_id) DO NOTHING",
            (sale.sale_id, question_id, answer, sale.store_id, sale.terminal_id, sale.cashier_id,
             json.dumps(sale.skus), stamp),
        ).rowcount
    return new
