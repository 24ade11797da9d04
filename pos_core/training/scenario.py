"""Training scenarios as TOML data: a customer, what they present, the basket, and the steps.

A scenario file is refused with the file and the line named (``ScenarioError``), so a trainer
who writes one can find the mistake. tomllib reports syntax errors with their line; for the
meaning (an unknown key, a wrong type, a missing step) the key's line is found in the text.

    title = "Alice shows her app"
    briefing = "A regular with the app; she can use a reward today."
    basket = ["1001", "2*1005"]          # SKUs, ``2*`` for two

    [customer]
    name = "Alice Smith"
    account_id = "acc_7f3a9c2e51d0"
    reward = "free-hot-drink"            # a reward she can use: not offering it is a mistake

    [earlier_sale]                       # a sale made before the scenario, for a return
    basket = ["1005", "1011"]            # recorded on the practice store for the customer

    [[steps]]
    goal = "return"                      # the customer brings something from the earlier sale back
    say = "Alice hands over her receipt."
    customer_acts = ["receipt"]          # the receipt's number R-<sale id> goes through the scanner
    returns = ["1011"]                   # what comes back, ``2*`` for two; before any ring_up step

    [[steps]]
    goal = "identify"                    # ring_up, identify, enrol, apply_reward, return, pay
    say = "Alice holds up her phone."
    hint = "Press F11: she shows the code to the scanner."
    customer_acts = ["app_qr"]           # what F11 does, in turn
    event = "service_offline"            # injected as the step starts
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from pos_core.item_entry import InvalidItemEntry, parse_item_entry

SCENARIOS_DIR = Path(str(files(__package__))) / "scenarios"

GOALS = ("ring_up", "identify", "enrol", "apply_reward", "return", "pay")
ACTS = (
    "app_qr",
    "app_qr_expired",
    "app_qr_replayed",
    "card_scan",
    "card_swipe",
    "nfc_tap",
    "phone",
    "payment_card",
    "receipt",
)
EVENTS = ("service_offline", "service_online")
# Acts a scanner or reader can read: typing instead of reading them is a mistake.
SCANNABLE = frozenset({"app_qr", "app_qr_expired", "app_qr_replayed", "card_scan", "card_swipe", "nfc_tap"})
# What the act needs to know about the customer.
_ACT_NEEDS = {
    "app_qr": "account_id",
    "app_qr_expired": "account_id",
    "app_qr_replayed": "account_id",
    "card_scan": "card",
    "card_swipe": "card",
    "nfc_tap": "nfc_uid",
    "phone": "phone",
}
# The footer's words for F11 when the step says none.
ACT_LABELS = {
    "app_qr": "shows app",
    "app_qr_expired": "shows app",
    "app_qr_replayed": "shows app",
    "card_scan": "hands card",
    "card_swipe": "hands card",
    "nfc_tap": "taps card",
    "phone": "says number",
    "payment_card": "hands card",
    "receipt": "hands receipt",
}

_TOP_KEYS = {
    "id": str,
    "title": str,
    "briefing": str,
    "basket": list,
    "customer": dict,
    "earlier_sale": dict,
    "steps": list,
}
_EARLIER_SALE_KEYS = {"basket": list}
_CUSTOMER_KEYS = {"name": str, "account_id": str, "phone": str, "card": str, "nfc_uid": str, "reward": str}
_STEP_KEYS = {
    "goal": str,
    "say": str,
    "hint": str,
    "customer_acts": list,
    "act_labels": list,
    "event": str,
    "reward": str,
    "returns": list,
    "missed": str,
    "par_seconds": (int, float),
}
_TYPE_WORDS = {str: "text in quotes", list: "a list", dict: "a table", (int, float): "a number"}


class ScenarioError(ValueError):
    """A scenario file that cannot be used: ``path:line: what is wrong``."""


@dataclass(frozen=True, slots=True)
class Customer:
    name: str
    account_id: str | None = None
    phone: str | None = None
    card: str | None = None
    nfc_uid: str | None = None
    reward: str | None = None

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else "Customer"


@dataclass(frozen=True, slots=True)
class Step:
    goal: str
    say: str
    hint: str = ""
    customer_acts: tuple[str, ...] = ()
    act_labels: tuple[str, ...] = ()
    event: str | None = None
    reward: str | None = None
    missed: str = ""
    par_seconds: float = 60.0
    # A return step's items: (SKU, quantity) from the earlier sale.
    returns: tuple[tuple[str, int], ...] = ()

    def act_label(self, index: int) -> str:
        if not self.customer_acts:
            return ""
        index = min(index, len(self.customer_acts) - 1)
        if index < len(self.act_labels):
            return self.act_labels[index]
        return ACT_LABELS[self.customer_acts[index]]


@dataclass(frozen=True, slots=True)
class Scenario:
    id: str
    title: str
    briefing: str
    customer: Customer
    basket: dict[str, int]  # SKU -> quantity
    steps: tuple[Step, ...]
    # SKU -> quantity of a sale the customer made before the scenario (recorded on the practice
    # store as the scenario starts; its receipt is what the ``receipt`` act hands over).
    earlier_sale: dict[str, int] = field(default_factory=dict)
    source: str = field(default="", compare=False)


def load_scenario(path: Path) -> Scenario:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{path}: cannot read the file ({error})") from None
    return parse_scenario(text, str(path), default_id=path.stem)


def shipped_scenarios() -> list[Scenario]:
    """The scenarios that come with the till, in file order (``01-…`` first)."""
    return load_folder(SCENARIOS_DIR)


def load_folder(folder: Path) -> list[Scenario]:
    """Every ``*.toml`` in ``folder``; the first bad file stops the load with its message."""
    if not folder.is_dir():
        raise ScenarioError(f"{folder}: no such folder of scenarios")
    scenarios = [load_scenario(path) for path in sorted(folder.glob("*.toml"))]
    seen: dict[str, str] = {}
    for scenario in scenarios:
        if scenario.id in seen:
            raise ScenarioError(f"{scenario.source}:1: the id {scenario.id!r} is also used by {seen[scenario.id]}")
        seen[scenario.id] = scenario.source
    return scenarios


def parse_scenario(text: str, source: str, *, default_id: str = "scenario") -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None) or _line_in_message(str(error))
        raise ScenarioError(f"{source}:{line}: not valid TOML ({error})") from None
    lines = _Lines(text, source)

    _check_keys(data, _TOP_KEYS, lines, table=None, index=None, what="scenario")
    for required in ("title", "customer", "steps"):
        if required not in data:
            words = "no [[steps]]: a scenario needs at least one step" if required == "steps" else f"{required!r} is missing"
            raise lines.error(1, words)

    customer_data = data["customer"]
    _check_keys(customer_data, _CUSTOMER_KEYS, lines, table="customer", index=None, what="customer")
    if "name" not in customer_data:
        raise lines.error(lines.find("customer", None, None), "[customer] needs a name")
    customer = Customer(**customer_data)

    basket = _items(data.get("basket", []), lines, lines.find(None, None, "basket"), "basket")

    earlier_sale: dict[str, int] = {}
    if "earlier_sale" in data:
        earlier = data["earlier_sale"]
        _check_keys(earlier, _EARLIER_SALE_KEYS, lines, table="earlier_sale", index=None, what="earlier sale")
        here = lines.find("earlier_sale", None, "basket")
        earlier_sale = _items(earlier.get("basket", []), lines, here, "earlier_sale basket")
        if not earlier_sale:
            raise lines.error(here, "[earlier_sale] needs a basket, e.g. basket = [\"1005\"]")
        if not customer.account_id:
            raise lines.error(
                lines.find("earlier_sale", None, None),
                "an earlier sale is recorded for a member: the customer needs an account_id in [customer]",
            )

    raw_steps = data["steps"]
    if not raw_steps:
        raise lines.error(lines.find(None, None, "steps"), "no [[steps]]: a scenario needs at least one step")
    steps = tuple(_step(raw, number, customer, earlier_sale, lines) for number, raw in enumerate(raw_steps))
    if steps[-1].goal != "pay":
        raise lines.error(
            lines.find("steps", len(steps) - 1, None),
            "the last step must be goal = \"pay\" (every scenario ends with the sale paid); a step is missing",
        )
    if steps[0].goal != "ring_up" and basket and not any(s.goal == "ring_up" for s in steps):
        raise lines.error(lines.find("steps", 0, None), "the scenario has a basket but no step with goal = \"ring_up\"")
    if any(s.goal == "ring_up" for s in steps) and not basket:
        raise lines.error(1, "a ring_up step needs a basket, e.g. basket = [\"1001\"]")
    ring_up = next((number for number, s in enumerate(steps) if s.goal == "ring_up"), len(steps))
    late = [number for number, s in enumerate(steps) if s.goal == "return" and number > ring_up]
    if late:
        raise lines.error(
            lines.find("steps", late[0], "goal"),
            "a return step must come before the ring_up step: a return is done at F12 with the basket empty",
        )
    return Scenario(
        id=str(data.get("id", default_id)),
        title=data["title"],
        briefing=data.get("briefing", ""),
        customer=customer,
        basket=basket,
        steps=steps,
        earlier_sale=earlier_sale,
        source=source,
    )


def _items(items: list[Any], lines: _Lines, line: int, what: str) -> dict[str, int]:
    """``["1001", "2*1005"]`` as SKU -> quantity."""
    found: dict[str, int] = {}
    for item in items:
        if not isinstance(item, str):
            raise lines.error(line, f"{what} items are SKUs in quotes, e.g. \"1001\" or \"2*1005\"")
        try:
            entry = parse_item_entry(item)
        except InvalidItemEntry as error:
            raise lines.error(line, f"{what} item {item!r}: {error}") from None
        found[entry.code] = found.get(entry.code, 0) + entry.quantity
    return found


def _step(raw: Any, number: int, customer: Customer, earlier_sale: dict[str, int], lines: _Lines) -> Step:
    if not isinstance(raw, dict):
        raise lines.error(lines.find(None, None, "steps"), "steps are tables: write each as [[steps]]")
    _check_keys(raw, _STEP_KEYS, lines, table="steps", index=number, what=f"step {number + 1}")
    here = lines.find("steps", number, None)
    for required in ("goal", "say"):
        if required not in raw:
            raise lines.error(here, f"step {number + 1} needs {required} = …")
    goal = raw["goal"]
    if goal not in GOALS:
        raise lines.error(lines.find("steps", number, "goal"), f"unknown goal {goal!r} (one of {', '.join(GOALS)})")
    acts = tuple(raw.get("customer_acts", ()))
    for act in acts:
        if act not in ACTS:
            raise lines.error(
                lines.find("steps", number, "customer_acts"), f"unknown customer act {act!r} (one of {', '.join(ACTS)})"
            )
        if act == "receipt" and not earlier_sale:
            raise lines.error(
                lines.find("steps", number, "customer_acts"),
                "the act 'receipt' hands over the receipt of an earlier sale: add [earlier_sale] with its basket",
            )
        needs = _ACT_NEEDS.get(act)
        if needs and not getattr(customer, needs):
            raise lines.error(
                lines.find("steps", number, "customer_acts"), f"the act {act!r} needs the customer's {needs} in [customer]"
            )
    labels = tuple(raw.get("act_labels", ()))
    if any(not isinstance(label, str) for label in labels) or len(labels) > len(acts):
        raise lines.error(lines.find("steps", number, "act_labels"), "act_labels are words in quotes, one per customer act")
    event = raw.get("event")
    if event is not None and event not in EVENTS:
        raise lines.error(lines.find("steps", number, "event"), f"unknown event {event!r} (one of {', '.join(EVENTS)})")
    reward = raw.get("reward") or (customer.reward if goal == "apply_reward" else None)
    if goal == "apply_reward" and not reward:
        raise lines.error(here, "an apply_reward step needs reward = … (here or in [customer])")
    returns = _returns(raw, number, goal, earlier_sale, lines)
    par = raw.get("par_seconds", 60.0)
    if isinstance(par, bool) or par <= 0:
        raise lines.error(lines.find("steps", number, "par_seconds"), "par_seconds must be a positive number")
    return Step(
        goal=goal,
        say=raw["say"],
        hint=raw.get("hint", ""),
        customer_acts=acts,
        act_labels=labels,
        event=event,
        reward=reward,
        missed=raw.get("missed", ""),
        par_seconds=float(par),
        returns=returns,
    )


def _returns(
    raw: dict[str, Any], number: int, goal: str, earlier_sale: dict[str, int], lines: _Lines
) -> tuple[tuple[str, int], ...]:
    """A return step's ``returns``: items of the earlier sale, no more than were bought."""
    here = lines.find("steps", number, "returns")
    if goal != "return":
        if "returns" in raw:
            raise lines.error(here, "returns = … belongs in a step with goal = \"return\"")
        return ()
    if not earlier_sale:
        raise lines.error(
            lines.find("steps", number, "goal"),
            "a return step needs the sale the items come from: add [earlier_sale] with its basket",
        )
    wanted = _items(raw.get("returns", []), lines, here, "returns")
    if not wanted:
        raise lines.error(here, f"step {number + 1} needs returns = […]: the items the customer brings back")
    for sku, quantity in wanted.items():
        bought = earlier_sale.get(sku, 0)
        if not bought:
            raise lines.error(here, f"returns item {sku!r} is not in the [earlier_sale] basket")
        if quantity > bought:
            raise lines.error(here, f"returns {quantity} of {sku!r}, but the earlier sale has {bought}")
    return tuple(wanted.items())


def _check_keys(
    data: dict[str, Any], known: dict[str, Any], lines: _Lines, *, table: str | None, index: int | None, what: str
) -> None:
    for key, value in data.items():
        if key not in known:
            raise lines.error(
                lines.find(table, index, key), f"unknown key {key!r} in the {what} (known: {', '.join(sorted(known))})"
            )
        kind = known[key]
        if isinstance(value, bool) or not isinstance(value, kind):
            raise lines.error(lines.find(table, index, key), f"{key} must be {_TYPE_WORDS[kind]}")
        if kind is list and key != "steps" and not all(isinstance(item, str) for item in value):
            raise lines.error(lines.find(table, index, key), f"{key} must be a list of text in quotes")


def _line_in_message(message: str) -> int:
    match = re.search(r"line (\d+)", message)
    return int(match[1]) if match else 1


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"]+)\s*\]\]?")
_KEY = re.compile(r"^\s*\"?([A-Za-z0-9_\-]+)\"?\s*=")


class _Lines:
    """Finds the line of a key in the TOML text: tomllib keeps no positions."""

    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source

    def error(self, line: int, words: str) -> ScenarioError:
        return ScenarioError(f"{self.source}:{line}: {words}")

    def find(self, table: str | None, index: int | None, key: str | None) -> int:
        """The line of ``key`` in ``[table]`` (the ``index``-th ``[[table]]``), else of the table's
        header, else 1. ``table`` None is the top level (before any header)."""
        section: tuple[str | None, int | None] = (None, None)
        counts: dict[str, int] = {}
        header_line: int | None = None
        for number, line in enumerate(self.lines, start=1):
            header = _HEADER.match(line)
            if header and not _KEY.match(line):
                name = header[2].strip('"')
                if header[1] == "[[":
                    counts[name] = counts.get(name, -1) + 1
                    section = (name, counts[name])
                else:
                    section = (name, None)
                if section == (table, index):
                    header_line = number
                    if key is None:
                        return number
                continue
            if section == (table, index) and key is not None:
                found = _KEY.match(line)
                if found and found[1] == key:
                    return number
        if table is not None and key is not None:
            # An inline form (``customer = {…}``) or a dotted key: the nearest line naming it.
            for number, line in enumerate(self.lines, start=1):
                if re.search(rf"\b{re.escape(key)}\b\s*=", line) and header_line is not None and number >= header_line:
                    return number
        return header_line or 1
