"""``cashier-tui training-report DIR``: how each trainee did on each scenario, as a table and CSV.

One row per trainee and scenario: attempts, best and last score, hints and mistakes on the last
attempt, and its time. Files that are not results are reported and skipped.

A trainee's name is typed at the till, so it is data: in the CSV a cell that a spreadsheet would
read as a formula is written as text (``csv_cell``), and in the table it is never markup.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pos_core.training.results import ResultError, TrainingResult, load_result

COLUMNS = ("trainee", "scenario", "attempts", "best_score", "last_score", "passed", "hints", "mistakes", "seconds", "last_run")


@dataclass(frozen=True, slots=True)
class ReportRow:
    trainee: str
    scenario: str
    attempts: int
    best_score: int
    last_score: int
    passed: bool
    hints: int
    mistakes: int
    seconds: float
    last_run: str

    def values(self) -> tuple[str, ...]:
        return (
            self.trainee,
            self.scenario,
            str(self.attempts),
            str(self.best_score),
            str(self.last_score),
            "yes" if self.passed else "no",
            str(self.hints),
            str(self.mistakes),
            f"{self.seconds:.0f}",
            self.last_run,
        )


def read_results(folder: Path) -> tuple[list[TrainingResult], list[str]]:
    """Every result under ``folder``, and a line for each file that could not be read."""
    results: list[TrainingResult] = []
    problems: list[str] = []
    for path in sorted(folder.rglob("*.json")):
        try:
            results.append(load_result(path))
        except ResultError as error:
            problems.append(str(error))
    return results, problems


def report_rows(results: Iterable[TrainingResult]) -> list[ReportRow]:
    groups: dict[tuple[str, str], list[TrainingResult]] = {}
    for result in results:
        groups.setdefault((result.trainee, result.scenario_id), []).append(result)
    rows = []
    for (trainee, scenario), runs in sorted(groups.items(), key=lambda item: (item[0][0].lower(), item[0][1])):
        runs.sort(key=lambda r: r.finished_at)
        last = runs[-1]
        rows.append(
            ReportRow(
                trainee=trainee,
                scenario=scenario,
                attempts=len(runs),
                best_score=max(r.score for r in runs),
                last_score=last.score,
                passed=any(r.passed for r in runs),
                hints=last.hints,
                mistakes=len(last.mistakes),
                seconds=last.seconds,
                last_run=last.finished_at,
            )
        )
    return rows


# What a spreadsheet takes as the start of a formula (=, +, -, @) or, after a tab or carriage
# return it strips, still would (OWASP, "CSV Injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """``value`` as a CSV cell no spreadsheet runs: one that could start a formula gets a leading
    apostrophe, which spreadsheets show as text and do not display."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def write_csv(rows: list[ReportRow], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([csv_cell(value) for value in row.values()])


def print_table(rows: list[ReportRow], file=None) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Training results", title_justify="left")
    for column in COLUMNS:
        numeric = column in ("attempts", "best_score", "last_score", "hints", "mistakes", "seconds")
        table.add_column(column.replace("_", " "), justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*(Text(value) for value in row.values()), style=None if row.passed else "red")
    Console(file=file or sys.stdout, width=140).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="cashier-tui training-report",
        description="How trainees did: a table of the training results in DIR, also written as CSV.",
    )
    parser.add_argument("folder", type=Path, metavar="DIR", help="a folder of result files (<data dir>/training/results)")
    parser.add_argument("--csv", type=Path, help="where to write the CSV (default: DIR/report.csv)")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"training-report: {args.folder} is not a folder", file=sys.stderr)
        return 2
    results, problems = read_results(args.folder)
    for problem in problems:
        print(f"training-report: skipped {problem}", file=sys.stderr)
    rows = report_rows(results)
    print_table(rows)
    target = args.csv or args.folder / "report.csv"
    write_csv(rows, target)
    print(f"{len(results)} result(s), {len(rows)} row(s); CSV written to {target}", file=sys.stderr)
    return 0
