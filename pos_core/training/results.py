"""A finished scenario as a JSON file: who, which scenario, per-step times, hints, mistakes, score.

One file per finished run, in ``<data dir>/training/results/`` unless the trainer says otherwise;
the trainer's report (``report.py``) reads a folder of them.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pos_core.training.scoring import PASS_MARK, ScenarioRun

FORMAT = "training-result/1"


class ResultError(ValueError):
    """A result file that cannot be read; the message names it."""


@dataclass(frozen=True, slots=True)
class StepResult:
    goal: str
    say: str
    seconds: float
    hints: int
    mistakes: tuple[str, ...]
    done: bool


@dataclass(frozen=True, slots=True)
class TrainingResult:
    trainee: str
    scenario_id: str
    scenario_title: str
    finished_at: str  # RFC 3339, UTC
    seconds: float
    hints: int
    mistakes: tuple[str, ...]
    score: int
    steps: tuple[StepResult, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return self.score >= PASS_MARK

    @classmethod
    def from_run(cls, run: ScenarioRun, trainee: str, *, now: datetime | None = None) -> TrainingResult:
        when = (now or datetime.now(UTC)).astimezone(UTC)
        return cls(
            trainee=trainee,
            scenario_id=run.scenario.id,
            scenario_title=run.scenario.title,
            finished_at=when.isoformat(timespec="seconds").replace("+00:00", "Z"),
            seconds=round(run.seconds, 1),
            hints=run.hints,
            mistakes=tuple(run.mistakes),
            score=run.score,
            steps=tuple(
                StepResult(
                    goal=r.step.goal,
                    say=r.step.say,
                    seconds=round(r.seconds, 1),
                    hints=r.hints,
                    mistakes=tuple(r.mistakes),
                    done=r.done,
                )
                for r in run.records
            ),
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["format"] = FORMAT
        data["passed"] = self.passed
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainingResult:
        steps = tuple(
            StepResult(
                goal=str(s["goal"]),
                say=str(s.get("say", "")),
                seconds=float(s["seconds"]),
                hints=int(s["hints"]),
                mistakes=tuple(str(m) for m in s.get("mistakes", ())),
                done=bool(s["done"]),
            )
            for s in data.get("steps", ())
        )
        return cls(
            trainee=str(data["trainee"]),
            scenario_id=str(data["scenario_id"]),
            scenario_title=str(data.get("scenario_title", data["scenario_id"])),
            finished_at=str(data["finished_at"]),
            seconds=float(data["seconds"]),
            hints=int(data["hints"]),
            mistakes=tuple(str(m) for m in data.get("mistakes", ())),
            score=int(data["score"]),
            steps=steps,
        )


def save_result(result: TrainingResult, folder: Path) -> Path:
    """Write ``result`` as a new file in ``folder``; never overwrites an earlier run."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = result.finished_at.replace(":", "").replace("-", "")
    base = f"{stamp}-{_slug(result.trainee)}-{_slug(result.scenario_id)}"
    path = folder / f"{base}.json"
    number = 1
    while path.exists():
        number += 1
        path = folder / f"{base}-{number}.json"
    path.write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load_result(path: Path) -> TrainingResult:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ResultError(f"{path}: not a training result file")
        return TrainingResult.from_json(data)
    except (OSError, ValueError, KeyError, TypeError) as error:
        if isinstance(error, ResultError):
            raise
        raise ResultError(f"{path}: cannot read it as a training result ({error})") from None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"
