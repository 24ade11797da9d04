"""The survey answers' report: how the receipts' survey questions were answered (survey_answers.py),
counted per question and answer over a period of days (reports.period), for every store or one.
Served as ``GET /v1/reports/survey`` beside the other reports, under their access rule
(report_routes.py, report_access.py), and printed by ``loyalty-service report survey``."""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from pydantic import BaseModel, Field

from loyalty_service.database import Connection
from loyalty_service.program import Program
from loyalty_service.reports import in_period


class Span(Protocol):
    first: date
    last: date
    start: str  # inclusive, RFC 3339 UTC
    end: str  # exclusive


class SurveyRow(BaseModel):
    question_id: str
    question: str | None = Field(description="null: a question no longer in the programme")
    answer: str
    count: int


class SurveyReport(BaseModel):
    from_: str = Field(serialization_alias="from")
    to: str
    rows: list[SurveyRow] = Field(description="the programme's questions and choices in its order (0 counts included), "
                                  "then answers to questions since removed")

    def contract(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


def survey_report(conn: Connection, program: Program, span: Span, store_id: str | None) -> SurveyReport:
    where, params = in_period("answered_at", "store_id", span, store_id)
    counted: dict[str, dict[str, int]] = {}
    for row in conn.execute(f"SELECT question_id, answer, COUNT(*) AS n FROM survey_answers WHERE {where}"
                            " GROUP BY question_id, answer ORDER BY question_id, answer", tuple(params)).fetchall():
        counted.setdefault(row["question_id"], {})[row["answer"]] = int(row["n"])
    rows = []
    for question in program.survey:
        given = counted.pop(question.question_id, {})
        for answer in [*question.answers, *sorted(set(given) - set(question.answers))]:
            rows.append(SurveyRow(question_id=question.question_id, question=question.question, answer=answer,
                                  count=given.get(answer, 0)))
    for question_id, given in sorted(counted.items()):  # questions since removed from the programme
        rows += [SurveyRow(question_id=question_id, question=None, answer=a, count=n) for a, n in sorted(given.items())]
    return SurveyReport(from_=span.first.isoformat(), to=span.last.isoformat(), rows=rows)
