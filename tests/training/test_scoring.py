"""The scoring of a run, fed by hand: goals, times, hints, and the mistakes a cashier makes."""

from __future__ import annotations

from pos_core.training.scenario import parse_scenario, shipped_scenarios
from pos_core.training.scoring import ScenarioRun, TillView, score

ALICE = "acc_7f3a9c2e51d0"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def scenario(scenario_id: str):
    return next(s for s in shipped_scenarios() if s.id == scenario_id)


def run_of(scenario_id: str) -> tuple[ScenarioRun, Clock]:
    clock = Clock()
    run = ScenarioRun(scenario(scenario_id), clock=clock)
    run.start()
    return run, clock


def test_a_clean_run_scores_full_marks_with_each_steps_time() -> None:
    run, clock = run_of("01-app-qr-reward")
    clock.now += 10
    assert [s.goal for s in run.update(TillView(basket={"1001": 1}))] == []  # half the basket
    assert [s.goal for s in run.update(TillView(basket={"1001": 1, "1005": 1}))] == ["identify"]
    assert run.next_act() == "app_qr" and run.act_label() == "shows app"
    assert run.lookup("qr", "camera", "LQR1.AAAA") == []
    clock.now += 5
    run.update(TillView(basket={"1001": 1, "1005": 1}, customer_id=ALICE))
    assert run.step.goal == "apply_reward"
    clock.now += 7
    run.update(TillView(basket={"1001": 1, "1005": 1}, customer_id=ALICE, rewards=("free-hot-drink",)))
    clock.now += 3
    assert run.paid(TillView(basket={"1001": 1, "1005": 1}, customer_id=ALICE, rewards=("free-hot-drink",))) == []
    assert run.finished and run.score == 100 and run.mistakes == []
    assert [r.seconds for r in run.records] == [10, 5, 7, 3]
    assert run.seconds == 25


def test_paying_without_the_reward_misses_it() -> None:
    run, _ = run_of("01-app-qr-reward")
    run.update(TillView(basket={"1001": 1, "1005": 1}, customer_id=ALICE))
    found = run.paid(TillView(basket={"1001": 1, "1005": 1}, customer_id=ALICE))
    assert found == ["did not offer the free hot drink Alice could use"]
    assert run.records[2].missed and run.records[3].done
    assert run.score == 85


def test_typing_a_number_when_the_card_could_be_scanned_is_a_mistake() -> None:
    run, _ = run_of("02-card-scan")
    assert run.lookup("card", "scanner", "2991000000023") == []
    assert run.lookup("card", "stripe", "2991000000023") == []
    assert run.lookup("card", "scan", "2991000000023")  # typed in the item field
    assert run.lookup("phone", "keypad", "+442079460002")  # F2
    assert len(run.mistakes) == 2


def test_typing_the_number_is_right_when_the_customer_has_only_a_number() -> None:
    run, _ = run_of("05-phone-lookup")
    assert run.lookup("phone", "keypad", "+442079460004") == []


def test_retrying_a_refused_payment_card_is_a_mistake_once_per_retry() -> None:
    run, _ = run_of("07-payment-card-by-mistake")
    assert run.refused("payment_card") == []
    assert run.refused("unknown") == []
    assert run.refused("payment_card") == ["tried the payment card again after the till refused it"]
    assert run.refused("payment_card")
    assert len(run.mistakes) == 2 and run.score == 70


def test_scanning_the_same_app_code_again_is_a_mistake() -> None:
    run, _ = run_of("08-expired-app-code")
    assert run.lookup("qr", "camera", "LQR1.OLD") == []
    assert run.lookup("qr", "scanner", "LQR1.OLD") == [
        "scanned the same app code again: ask the customer to refresh it in the app"
    ]
    assert run.lookup("qr", "camera", "LQR1.NEW") == []


def test_voiding_hints_and_slow_steps_cost_points() -> None:
    run, clock = run_of("10-service-offline")
    assert run.hint().startswith("Type 1001")
    run.hint()
    assert run.hints == 2 and run.records[0].hints == 2
    assert run.voided() == ["voided the sale instead of carrying on"]
    clock.now += 60 + 25  # 25 s over the par of 60: three points off
    run.update(TillView(basket={"1001": 1, "1006": 1}))
    assert run.score == 100 - 15 - 2 * 5 - 3
    assert score(run.records) == run.score


def test_enrol_needs_an_enrolment_not_just_a_customer() -> None:
    run, _ = run_of("06-unknown-phone-enrol")
    run.update(TillView(basket={"1003": 1}))
    assert run.step.goal == "enrol"
    assert run.update(TillView(basket={"1003": 1}, customer_id="acc_new")) == []
    run.enrolled = True
    assert [s.goal for s in run.update(TillView(basket={"1003": 1}, customer_id="acc_new"))] == ["pay"]


def test_the_wrong_customer_does_not_count() -> None:
    run, _ = run_of("02-card-scan")
    run.update(TillView(basket={"1006": 1, "1009": 1}))
    run.update(TillView(basket={"1006": 1, "1009": 1}, customer_id=ALICE))
    assert run.step.goal == "identify"


def test_acts_go_in_turn_and_the_last_repeats() -> None:
    run, _ = run_of("07-payment-card-by-mistake")
    run.update(TillView(basket={"1010": 1}))
    assert run.act_label() == "hands card"
    assert run.next_act() == "payment_card"
    assert run.act_label() == "gives loyalty card"
    assert [run.next_act(), run.next_act()] == ["card_scan", "card_scan"]


def test_the_score_never_goes_below_nothing() -> None:
    text = 'title = "t"\n[customer]\nname = "N"\n[[steps]]\ngoal = "pay"\nsay = "pay"\n'
    run = ScenarioRun(parse_scenario(text, "t"))
    run.start()
    for _ in range(10):
        run.voided()
    assert run.score == 0


def test_a_return_needs_the_right_item_back_and_never_its_sale() -> None:
    run, _ = run_of("11-return-an-item")
    assert run.step.goal == "return" and run.act_label() == "hands receipt"
    assert run.next_act() == "receipt"
    # Ringing the cheddar up as a sale is a mistake, once; something else in the basket is not.
    assert run.rang_up(TillView(basket={"1012": 1})) == []
    assert run.rang_up(TillView(basket={"1011": 1})) == [
        "rang up the item the customer brought back instead of returning it (F12)"]
    assert run.rang_up(TillView(basket={"1011": 2})) == []
    # The loaf he keeps comes back: a mistake, and the step is not done.
    assert run.returned({"1005": 1, "1011": 0}) == [
        "returned item 1005, which the customer kept: return only what they bring back"]
    assert run.update(TillView()) == [] and run.step.goal == "return"
    assert run.returned({"1005": 1, "1011": 1}) == []  # the same wrong line is not counted twice
    assert [s.goal for s in run.update(TillView())] == ["ring_up"]
    assert len(run.records[0].mistakes) == 2 and run.records[0].done and run.score == 70


def test_paying_without_the_return_misses_it() -> None:
    run, _ = run_of("11-return-an-item")
    found = run.paid(TillView(basket={"1012": 1}, customer_id="acc_5d2b95e223ac"))
    assert found == ["did not take back the cheddar Isaac returned"]
    assert run.records[0].missed and all(r.done for r in run.records[1:])
