"""Scenario files: every shipped one loads and covers every way in and the common errors; a
broken file is refused with its name and the line to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from pos_core.training.scenario import (
    ACTS,
    ScenarioError,
    load_folder,
    load_scenario,
    parse_scenario,
    shipped_scenarios,
)

GOOD = '''\
title = "Practice"
basket = ["1001", "2*1005"]

[customer]
name = "Alice Smith"
account_id = "acc_7f3a9c2e51d0"
card = "2991000000016"
reward = "free-hot-drink"

[[steps]]
goal = "ring_up"
say = "Ring it up."

[[steps]]
goal = "identify"
say = "She hands over her card."
customer_acts = ["card_scan"]

[[steps]]
goal = "pay"
say = "She pays."
'''


def write(tmp_path: Path, text: str, name: str = "practice.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return str(caught.value)


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    found = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return found[occurrence - 1]


def test_a_good_file_loads(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, GOOD))
    assert scenario.id == "practice" and scenario.title == "Practice"
    assert scenario.basket == {"1001": 1, "1005": 2}
    assert [step.goal for step in scenario.steps] == ["ring_up", "identify", "pay"]
    assert scenario.steps[1].customer_acts == ("card_scan",) and scenario.steps[1].act_label(0) == "hands card"
    assert scenario.customer.first_name == "Alice"


def test_every_shipped_scenario_loads_and_between_them_they_cover_every_way_in() -> None:
    scenarios = shipped_scenarios()
    assert len(scenarios) >= 8
    assert len({s.id for s in scenarios}) == len(scenarios)
    acts = {act for s in scenarios for step in s.steps for act in step.customer_acts}
    assert acts == set(ACTS)  # app QR (fresh, expired, replayed), card scan, swipe, NFC, phone, payment card
    goals = {step.goal for s in scenarios for step in s.steps}
    assert {"enrol", "apply_reward"} <= goals
    assert any(step.event == "service_offline" for s in scenarios for step in s.steps)
    for scenario in scenarios:
        assert scenario.steps[-1].goal == "pay"
        assert all(step.hint for step in scenario.steps), f"{scenario.id}: every step has a hint"


def test_an_unknown_key_names_the_file_and_its_line(tmp_path: Path) -> None:
    text = GOOD.replace('customer_acts = ["card_scan"]', 'customer_acts = ["card_scan"]\nwait_for = 3')
    message = refused(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'practice.toml'}:{line_of(text, 'wait_for')}: ")
    assert "unknown key 'wait_for' in the step 2" in message


def test_an_unknown_key_in_the_customer_or_at_the_top(tmp_path: Path) -> None:
    text = GOOD.replace('name = "Alice Smith"', 'name = "Alice Smith"\nemail = "a@example.com"')
    assert f":{line_of(text, 'email')}: unknown key 'email' in the customer" in refused(tmp_path, text)
    text = "titel = \"x\"\n" + GOOD
    assert ":1: unknown key 'titel' in the scenario" in refused(tmp_path, text)


def test_a_missing_step_is_refused(tmp_path: Path) -> None:
    no_pay = GOOD[: GOOD.rindex("[[steps]]")]
    message = refused(tmp_path, no_pay)
    assert f":{line_of(no_pay, '[[steps]]', 2)}: the last step must be goal = \"pay\"" in message
    assert "a step is missing" in message
    no_steps = GOOD[: GOOD.index("[[steps]]")]
    assert "practice.toml:1: no [[steps]]" in refused(tmp_path, no_steps)


def test_a_step_without_its_goal_names_the_step(tmp_path: Path) -> None:
    text = GOOD.replace('goal = "identify"\n', "")
    assert f":{line_of(text, '[[steps]]', 2)}: step 2 needs goal" in refused(tmp_path, text)


def test_a_wrong_type_names_the_line(tmp_path: Path) -> None:
    text = GOOD.replace('customer_acts = ["card_scan"]', 'customer_acts = "card_scan"')
    assert f":{line_of(text, 'customer_acts')}: customer_acts must be a list" in refused(tmp_path, text)
    text = GOOD.replace('account_id = "acc_7f3a9c2e51d0"', "account_id = 7")
    assert f":{line_of(text, 'account_id')}: account_id must be text in quotes" in refused(tmp_path, text)


def test_unknown_goals_acts_and_events_list_what_is_known(tmp_path: Path) -> None:
    text = GOOD.replace('"card_scan"]', '"retina_scan"]')
    assert f":{line_of(text, 'retina_scan')}: unknown customer act 'retina_scan' (one of app_qr" in refused(tmp_path, text)
    text = GOOD.replace('goal = "pay"', 'goal = "dance"')
    assert f":{line_of(text, 'dance')}: unknown goal 'dance'" in refused(tmp_path, text)
    text = GOOD.replace('say = "She pays."', 'say = "She pays."\nevent = "fire_alarm"')
    assert f":{line_of(text, 'fire_alarm')}: unknown event 'fire_alarm'" in refused(tmp_path, text)


def test_an_act_the_customer_cannot_do_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace('"card_scan"]', '"nfc_tap"]')
    assert "the act 'nfc_tap' needs the customer's nfc_uid in [customer]" in refused(tmp_path, text)


def test_bad_toml_gives_the_line(tmp_path: Path) -> None:
    text = GOOD.replace('say = "Ring it up."', 'say = "Ring it up.')
    message = refused(tmp_path, text)
    assert f"practice.toml:{line_of(text, 'Ring it up')}: not valid TOML" in message


def test_a_bad_basket_item(tmp_path: Path) -> None:
    text = GOOD.replace('"2*1005"', '"0*1005"')
    assert f":{line_of(text, 'basket')}: basket item '0*1005'" in refused(tmp_path, text)


RETURN = '''\
title = "A return"
basket = ["1012"]

[customer]
name = "Isaac Novak"
account_id = "acc_5d2b95e223ac"

[earlier_sale]
basket = ["1005", "2*1011"]

[[steps]]
goal = "return"
say = "He brings the cheddar back."
customer_acts = ["receipt"]
returns = ["1011"]

[[steps]]
goal = "ring_up"
say = "He buys a yoghurt."

[[steps]]
goal = "pay"
say = "He pays."
'''


def test_a_return_scenario_loads_with_its_earlier_sale(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, RETURN))
    assert scenario.earlier_sale == {"1005": 1, "1011": 2}
    step = scenario.steps[0]
    assert (step.goal, step.customer_acts, step.returns) == ("return", ("receipt",), (("1011", 1),))
    assert step.act_label(0) == "hands receipt"
    assert load_scenario(write(tmp_path, GOOD)).earlier_sale == {}
    shipped = next(s for s in shipped_scenarios() if s.id == "11-return-an-item")
    assert shipped.earlier_sale == {"1005": 1, "1011": 1} and shipped.customer.account_id
    assert [(s.goal, s.returns) for s in shipped.steps][0] == ("return", (("1011", 1),))


def test_a_bad_return_or_earlier_sale_names_the_line(tmp_path: Path) -> None:
    text = RETURN.replace('returns = ["1011"]', 'returns = ["1007"]')
    assert f":{line_of(text, 'returns =')}: returns item '1007' is not in the [earlier_sale] basket" in refused(
        tmp_path, text)
    text = RETURN.replace('returns = ["1011"]', 'returns = ["3*1011"]')
    assert f":{line_of(text, 'returns =')}: returns 3 of '1011', but the earlier sale has 2" in refused(tmp_path, text)
    text = RETURN.replace('returns = ["1011"]\n', "")
    assert f":{line_of(text, '[[steps]]')}: step 1 needs returns = [" in refused(tmp_path, text)
    text = RETURN.replace('"2*1011"]', '"0*1011"]')
    assert f":{line_of(text, '0*1011')}: earlier_sale basket item '0*1011'" in refused(tmp_path, text)
    text = RETURN.replace('basket = ["1005", "2*1011"]', 'basket = ["1005"]\nwhen = "yesterday"')
    assert f":{line_of(text, 'when =')}: unknown key 'when' in the earlier sale" in refused(tmp_path, text)
    text = RETURN.replace('account_id = "acc_5d2b95e223ac"\n', "")
    assert f":{line_of(text, '[earlier_sale]')}: an earlier sale is recorded for a member" in refused(tmp_path, text)
    no_sale = RETURN.replace('[earlier_sale]\nbasket = ["1005", "2*1011"]\n', "")
    assert "the act 'receipt' hands over the receipt of an earlier sale" in refused(tmp_path, no_sale)
    no_sale = no_sale.replace('customer_acts = ["receipt"]\n', "")
    assert "a return step needs the sale the items come from" in refused(tmp_path, no_sale)
    text = RETURN.replace('say = "He buys a yoghurt."', 'say = "He buys a yoghurt."\nreturns = ["1011"]')
    assert f":{line_of(text, 'returns', 2)}: returns = … belongs in a step with goal = \"return\"" in refused(
        tmp_path, text)
    head, give_back, ring_up, pay = RETURN.split("[[steps]]")
    late = "[[steps]]".join((head, ring_up, give_back, pay))  # the return after the ring_up
    where = line_of(late, 'goal = "return"')
    assert f":{where}: a return step must come before the ring_up step" in refused(tmp_path, late)


def test_a_trainers_folder_loads_and_ids_must_differ(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.toml")
    write(tmp_path, GOOD.replace('title = "Practice"', 'id = "a"\ntitle = "Again"'), "b.toml")
    with pytest.raises(ScenarioError, match=r"b\.toml:1: the id 'a' is also used by .*a\.toml"):
        load_folder(tmp_path)
    (tmp_path / "b.toml").unlink()
    assert [s.id for s in load_folder(tmp_path)] == ["a"]
    with pytest.raises(ScenarioError, match="no such folder"):
        load_folder(tmp_path / "missing")


def test_the_same_text_parses_without_a_file() -> None:
    assert parse_scenario(GOOD, "inline", default_id="x").id == "x"
