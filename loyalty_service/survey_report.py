"""``GET /v1/reports/survey``: how the receipts' survey questions were answered (survey_answers.py),
counted per question, answer and store, over a range of days. Head office's for now (``require_hq``);
the route is here alone so the reports' own keys can be wired to it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from loyalty_service.auth import require_hq, require_key
from loyalty_service.database import Connection
from loyalty_service.program import Program
from loyalty_service.schemas import ErrorResponse
from loyalty_service.terminal_keys import KeyHolder
from loyalty_service.worker_thread import in_worker_thread

_DAY = r"^\d{4}-\d{2}-\d{2}$"


class AnswerCount(BaseModel):
    answer: str
    count: int


class StoreAnswers(BaseModel):
    store_id: str
    answered: int
    answers: list[AnswerCount]


class QuestionReport(BaseModel):
    question_id: str
    question: str | None  # None: no longer in the programme
    answered: int
    answers: list[AnswerCount]  # the programme's choices in its order (0 included), then any others
    stores: list[StoreAnswers]


class SurveyReport(BaseModel):
    from_date: str | None
    until_date: str | None
    store_id: str | None
    questions: list[QuestionReport]


def survey_report(conn: Connection, program: Program, from_date: str | None, until_date: str | None,
                  store_id: str | None) -> SurveyReport:
    """``from_date``..``until_date`` (UTC days, both included; None: open)."""
    where, params = ["1 = 1"], []
    if from_date:
        where.append("answered_at >= ?")
        params.append(from_date)
    if until_date:
        where.append("answered_at < ?")
        params.append(until_date + "T24")  # every time of the last day sorts before it
    if store_id:
        where.append("store_id = ?")
        params.append(store_id)
    counted = conn.execute(
        "SELECT question_id, store_id, answer, COUNT(*) AS n FROM survey_answers WHERE " + " AND ".join(where)
        + " GROUP BY question_id, store_id, answer ORDER BY question_id, store_id, answer", tuple(params)).fetchall()
    found: dict[str, dict[str, dict[str, int]]] = {}
    for row in counted:
        found.setdefault(row["question_id"], {}).setdefault(row["store_id"], {})[row["answer"]] = int(row["n"])
    order = [q.question_id for q in program.survey] + sorted(set(found) - {q.question_id for q in program.survey})
    return SurveyReport(from_date=from_date, until_date=until_date, store_id=store_id,
                        questions=[_question(program, question_id, found.get(question_id, {})) for question_id in order])


def _question(program: Program, question_id: str, stores: dict[str, dict[str, int]]) -> QuestionReport:
    question = program.survey_question(question_id)
    choices = list(question.answers) if question is not None else []

    def counts(by_answer: dict[str, int]) -> list[AnswerCount]:
        named = choices + sorted(set(by_answer) - set(choices))
        return [AnswerCount(answer=answer, count=by_answer.get(answer, 0)) for answer in named]

    total: dict[str, int] = {}
    for by_answer in stores.values():
        for answer, n in by_answer.items():
            total[answer] = total.get(answer, 0) + n
    return QuestionReport(
        question_id=question_id, question=question.question if question is not None else None,
        answered=sum(total.values()), answers=counts(total),
        stores=[StoreAnswers(store_id=store, answered=sum(by_answer.values()), answers=counts(by_answer))
                for store, by_answer in sorted(stores.items())],
    )


router = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])


@router.get("/reports/survey", responses={status: {"model": ErrorResponse} for status in (401, 403, 422)})
@in_worker_thread
def get_survey_report(
    request: Request,
    holder: Annotated[KeyHolder, Depends(require_key)],
    from_date: Annotated[str | None, Query(alias="from", pattern=_DAY, description="a UTC date, included")] = None,
    until_date: Annotated[str | None, Query(alias="until", pattern=_DAY, description="a UTC date, included")] = None,
    store_id: Annotated[str | None, Query(max_length=64)] = None,
) -> SurveyReport:
    require_hq(holder)
    state = request.app.state
    with state.database.connection() as db:
        return survey_report(db, state.program, from_date, until_date, store_id)
