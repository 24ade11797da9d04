"""``GET /v1/reports/survey``: how the receipts' survey questions were answered (survey_answers.py),
counted per question and answer over a period of days, for every store or one. Its shape is the
reports' (``{"from", "to", "rows"}``, docs/loyalty-api-v1.md): ``survey_report(conn, program, span,
store_id)`` takes any period with ``first``/``last`` (dates) and ``start``/``end`` (UTC, end
excluded), so the reports' own ``period`` and access rule can be wired to it. Head office's for now
(``require_hq``); the route is here alone for that."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Protocol
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from loyalty_service.auth import require_hq, require_key
from loyalty_service.clock import rfc3339, service_now
from loyalty_service.database import Connection
from loyalty_service.errors import ApiError
from loyalty_service.program import Program
from loyalty_service.schemas import ErrorDetail, ErrorResponse
from loyalty_service.terminal_keys import KeyHolder
from loyalty_service.worker_thread import in_worker_thread

MAX_DAYS = 366


class Span(Protocol):
    first: date
    last: date
    start: str  # inclusive, RFC 3339 UTC
    end: str  # exclusive


@dataclass(frozen=True, slots=True)
class Days:
    """Local days ``first``..``last`` (inclusive) in the programme's time zone, and their UTC range."""

    first: date
    last: date
    start: str
    end: str


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


def days(program: Program, first: str | None, last: str | None) -> Days:
    """``from``/``to`` (YYYY-MM-DD, default today where the programme is); 422 invalid_period."""
    zone = ZoneInfo(program.timezone)
    today = service_now().astimezone(zone).date()
    start_day, end_day = _day(first, "from", today), _day(last, "to", today)
    if end_day < start_day or (end_day - start_day).days + 1 > MAX_DAYS:
        raise ApiError(422, "invalid_period", f"The period runs from 'from' to 'to', at most {MAX_DAYS} days.",
                       [ErrorDetail(field="to", problem="before from, or too far after it")])

    def midnight(day: date) -> str:
        return rfc3339(datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC))

    return Days(start_day, end_day, midnight(start_day), midnight(end_day + timedelta(days=1)))


def _day(text: str | None, name: str, default: date) -> date:
    if text is None:
        return default
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ApiError(422, "invalid_period", f"'{name}' is a date, YYYY-MM-DD.",
                       [ErrorDetail(field=name, problem="not a YYYY-MM-DD date")]) from None


def survey_report(conn: Connection, program: Program, span: Span, store_id: str | None) -> SurveyReport:
    where, params = "answered_at >= ? AND answered_at < ?", [span.start, span.end]
    if store_id is not None:
        where += " AND store_id = ?"
        params.append(store_id)
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


router = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])


@router.get("/reports/survey", responses={status: {"model": ErrorResponse} for status in (401, 403, 422)})
@in_worker_thread
def get_survey_report(
    request: Request,
    holder: Annotated[KeyHolder, Depends(require_key)],
    first: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD, in the programme's timezone; default today")] = None,
    last: Annotated[str | None, Query(alias="to", description="YYYY-MM-DD, inclusive; default today")] = None,
    store_id: Annotated[str | None, Query(max_length=64, description="one store (absent: every store)")] = None,
) -> SurveyReport:
    require_hq(holder)
    state = request.app.state
    span = days(state.program, first, last)
    with state.database.connection() as db:
        return survey_report(db, state.program, span, store_id)
