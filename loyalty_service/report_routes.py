"""The routes of the managers' reports: ``GET /v1/reports/sales``, ``/enrolments``, ``/rewards`` and
``/survey`` (the receipts' survey answers, survey_report.py).

Who may read which store is report_access.py's; the figures are reports.py's. A router of its own,
included by app.py, so the reports' routes sit in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request

from loyalty_service.auth import require_key
from loyalty_service.database import Connection, Database
from loyalty_service.program import Program
from loyalty_service.report_access import report_access
from loyalty_service.reports import (
    By,
    EnrolmentsReport,
    Period,
    RewardsReport,
    SalesReport,
    enrolments_report,
    period,
    rewards_report,
    sales_report,
)
from loyalty_service.schemas import ErrorResponse
from loyalty_service.survey_report import SurveyReport, survey_report
from loyalty_service.terminal_keys import KeyHolder
from loyalty_service.worker_thread import in_worker_thread

router = APIRouter(prefix="/v1/reports", dependencies=[Depends(require_key)])

Holder = Annotated[KeyHolder, Depends(require_key)]
DateFrom = Annotated[str | None, Query(alias="from", description="YYYY-MM-DD, in the programme's timezone; default today")]
DateTo = Annotated[str | None, Query(alias="to", description="YYYY-MM-DD, inclusive; default today")]
StoreId = Annotated[str | None, Query(max_length=64, description="one store (absent: every store the key may read)")]
R = TypeVar("R")
_ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorResponse} for status in (401, 403, 422, 429)}


def _read(request: Request, holder: KeyHolder, first: str | None, last: str | None, store_id: str | None,
          figures: Callable[[Connection, Program, Period, str | None], R]) -> R:
    """The period checked, then who may read which store (report_access), then the figures."""
    database: Database = request.app.state.database
    program: Program = request.app.state.program
    span = period(program, first, last)
    scope = report_access(holder, request, store_id)
    with database.connection() as db:
        return figures(db, program, span, scope)


@router.get("/sales", responses=_ERRORS)
@in_worker_thread
def sales(request: Request, holder: Holder, by: By = "store", first: DateFrom = None, last: DateTo = None,
          store_id: StoreId = None) -> SalesReport:
    """Sales, member sales, participation, enrolments, rewards, baskets, referrals and orders, by
    store, till, cashier, hour or day."""
    return _read(request, holder, first, last, store_id,
                 lambda db, program, span, scope: sales_report(db, program, by, span, scope))


@router.get("/enrolments", responses=_ERRORS)
@in_worker_thread
def enrolments(request: Request, holder: Holder, first: DateFrom = None, last: DateTo = None,
               store_id: StoreId = None) -> EnrolmentsReport:
    """The enrolment leaderboard: enrolments per cashier, most first."""
    return _read(request, holder, first, last, store_id,
                 lambda db, _program, span, scope: enrolments_report(db, span, scope))


@router.get("/rewards", responses=_ERRORS)
@in_worker_thread
def rewards(request: Request, holder: Holder, first: DateFrom = None, last: DateTo = None,
            store_id: StoreId = None) -> RewardsReport:
    """Rewards redeemed, most first, with the discounts they gave (minor units)."""
    return _read(request, holder, first, last, store_id, rewards_report)


@router.get("/survey", responses=_ERRORS)
@in_worker_thread
def survey(request: Request, holder: Holder, first: DateFrom = None, last: DateTo = None,
           store_id: StoreId = None) -> SurveyReport:
    """The receipts' survey answers, counted per question and answer (the programme's order)."""
    return _read(request, holder, first, last, store_id, survey_report)
