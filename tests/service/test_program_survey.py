"""The programme file's ``[[survey]]`` questions: the demo's, which a sale's lines ask (tied ones
first, at most two), and files refused with the file, the line and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from loyalty_service.program import ProgramError, load_program
from tests.service.test_program import changed

BREAD = 'question = "Was the bread fresh?"'


def test_a_sale_is_asked_the_questions_tied_to_its_lines_first_then_the_general_one() -> None:
    program = load_program()
    assert [q.question_id for q in program.survey] == ["bread-fresh", "visit"]
    assert [q.question_id for q in program.survey_for([("1001", "hot_drinks"), ("1005", "bakery")])] == [
        "bread-fresh", "visit"]
    assert [q.question_id for q in program.survey_for([("1001", "hot_drinks")])] == ["visit"]
    assert program.survey_question("bread-fresh").answers == ("Yes", "No")  # type: ignore[union-attr]


def test_at_most_two_are_asked_and_a_sku_ties_a_question(tmp_path: Path) -> None:
    more = '\n[[survey]]\nid = "milk"\nquestion = "Was the milk cold?"\nanswers = ["Yes", "No"]\nskus = ["1009"]\n'
    path = changed(tmp_path, 'answers = ["Great", "Good", "Could be better"]',
                   'answers = ["Great", "Good", "Could be better"]\n' + more)
    program = load_program(path)
    asked = program.survey_for([("1005", "bakery"), ("1009", "dairy")])
    assert [q.question_id for q in asked] == ["bread-fresh", "milk"]


@pytest.mark.parametrize(("old", "new", "message", "at"), [
    (BREAD, BREAD + '\nhint = "x"', "unknown key hint in survey question 1", 'hint = "x"'),
    ('answers = ["Yes", "No"]', 'answers = ["Yes"]', "answers are 2 to 5 different choices", 'answers = ["Yes"]'),
    ('answers = ["Yes", "No"]', 'answers = ["Yes", "Yes"]', "answers are 2 to 5 different choices",
     'answers = ["Yes", "Yes"]'),
    ('categories = ["bakery"]', 'categories = "bakery"', "categories in survey question 1 is a list of strings",
     'categories = "bakery"'),
    ('id = "visit"', 'id = "bread-fresh"', "the id 'bread-fresh' is used twice", None),
    (BREAD + "\n", "", "missing key 'question' in survey question 1", 'id = "bread-fresh"'),
])
def test_bad_questions_are_refused_with_the_file_and_line(
    tmp_path: Path, old: str, new: str, message: str, at: str | None
) -> None:
    path = changed(tmp_path, old, new)
    lines = path.read_text(encoding="utf-8").splitlines()
    # The line of the key at fault (the second question's id when it repeats the first's); the
    # question's header when a key is missing.
    if at is None:
        line = [n for n, text in enumerate(lines, start=1) if text == 'id = "bread-fresh"'][1]
    elif at == 'id = "bread-fresh"':
        line = lines.index(at)  # the header just above it (1-based: the index of the line before)
    else:
        line = lines.index(at) + 1
    with pytest.raises(ProgramError) as error:
        load_program(path)
    assert message in str(error.value)
    assert f"{path}, line {line}:" in str(error.value)
