"""The register in training mode: the real register screens on the sandbox service, a TRAINING
banner and border, the customer played through the simulated devices (F11), hints (Ctrl+G), and a
result after each scenario. ``make_training_app()`` is the one factory the CLI and tests share.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message

import themes
from cashier_tui.app import CashierApp
from cashier_tui.screens.receipt import ReceiptScreen
from cashier_tui.screens.register import RegisterScreen
from cashier_tui.training.banner import TrainingBanner
from cashier_tui.training.customer import SimulatedCustomer
from cashier_tui.training.result_screen import ResultScreen
from cashier_tui.training.scenario_picker import ScenarioPicker
from cashier_tui.training.trainee_screen import TraineeScreen
from pos_core.checkout import Checkout
from pos_core.loyalty_client import LoyaltyClient
from pos_core.loyalty_models import ReturnResult
from pos_core.sale import Sale
from pos_core.settings import Settings
from pos_core.shown_text import printable
from pos_core.training.results import TrainingResult, save_result
from pos_core.training.sandbox import Sandbox
from pos_core.training.scenario import Scenario, Step, shipped_scenarios
from pos_core.training.scoring import ScenarioRun, TillView
from till_tui.workers import till_work

TRAINING_CSS = themes.THEMES_DIR / "training.tcss"
TRAINING_THEME = "training"
BORDER_TITLE = "TRAINING · practice store · not real accounts"


class TrainingRegisterScreen(RegisterScreen):
    """The register with the training banner on top."""

    @dataclass
    class ReturnClosed(Message):
        """The return screen (F12, or a scanned receipt) was closed; ``result`` is its last return."""

        result: ReturnResult | None

    def compose(self) -> ComposeResult:
        yield TrainingBanner(id="training-banner")
        yield from super().compose()

    def on_mount(self) -> None:
        self.add_class("training")
        self.border_title = BORDER_TITLE

    def _return_closed(self, result: ReturnResult | None) -> None:
        super()._return_closed(result)
        self.post_message(self.ReturnClosed(result))


class TrainingApp(CashierApp):
    TITLE = "Register (TRAINING)"
    # Training keeps its own trainees (TraineeScreen), on the sandbox: no cashier signs on here.
    signs_on_staff = False
    CSS_PATH = [themes.CASHIER_CSS, TRAINING_CSS]
    BINDINGS = [
        # Priority: they work with a dialog open too (the phone dialog, say). The register's
        # function keys are all taken, so the others are Ctrl keys no text field uses.
        Binding("f11", "customer_acts", "Customer", id="training.customer_acts", priority=True,
                tooltip="The customer does their part now: shows the app, hands over or taps the card, says the number"),
        Binding("ctrl+r", "scan_again", "Rescan", id="training.scan_again", priority=True,
                tooltip="Scan what the customer handed over once more"),
        Binding("ctrl+g", "hint", "Hint", id="training.hint", priority=True,
                tooltip="A hint for this step (counted in the score)"),
    ]
    training = True

    def __init__(
        self,
        settings: Settings,
        checkout: Checkout,
        sandbox: Sandbox,
        scenarios: list[Scenario],
        *,
        trainee: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(settings, checkout)
        self.clock = clock
        self.theme = TRAINING_THEME
        self.sandbox = sandbox
        self.scenarios = scenarios
        self.trainee = trainee
        self.results_dir = sandbox.results_dir
        self.results: list[TrainingResult] = []
        self.run_state: ScenarioRun | None = None
        self.customer: SimulatedCustomer | None = None
        self._scenario_over: asyncio.Event | None = None

    def make_register_screen(self) -> RegisterScreen:
        return TrainingRegisterScreen(self.session, self.settings)

    def on_mount(self) -> None:
        self.call_after_refresh(self.run_training)

    @property
    def banner(self) -> TrainingBanner:
        return self.register_screen.query_one(TrainingBanner)

    # -- the session: who, which scenario, the result ----------------------------------------------

    @till_work(exclusive=True, group="training")
    async def run_training(self) -> None:
        while not (self.store_loaded and self.register_screen.is_mounted):
            await asyncio.sleep(0.05)
        self.customer = SimulatedCustomer(self.devices.hub, self.sandbox)
        self.watch(self.register_screen, "sale", self._sale_changed, init=False)
        if not self.trainee:
            self.trainee = await self.push_screen_wait(TraineeScreen())
            if not self.trainee:
                self.exit()
                return
        fresh = True
        while True:
            scores: dict[str, int] = {}
            for result in self.results:
                scores[result.scenario_id] = max(result.score, scores.get(result.scenario_id, 0))
            scenario = await self.push_screen_wait(ScenarioPicker(self.scenarios, scores, self.trainee))
            if scenario is None:
                break
            if not fresh:
                self.banner.say = "Setting up the practice store…"
                await asyncio.to_thread(self.sandbox.reset)
            fresh = False
            result = await self.play(scenario)
            await self._receipt_closed()
            await asyncio.to_thread(save_result, result, self.results_dir)
            self.results.append(result)
            if not await self.push_screen_wait(ResultScreen(result)):
                break
        self.exit()

    async def play(self, scenario: Scenario) -> TrainingResult:
        """Run ``scenario`` until its last step is done or the sale is paid; its result."""
        run = ScenarioRun(scenario, clock=self.clock)
        self._scenario_over = asyncio.Event()
        self.register_screen.start_new_sale()
        if self.customer is not None:
            self.customer.last_read = None
        banner = self.banner
        banner.title, banner.hints, banner.mistakes = scenario.title, 0, 0
        await self._set_up(scenario)
        if scenario.briefing:
            self.notify(printable(scenario.briefing), title=printable(scenario.title), timeout=10, markup=False)
        self.run_state = run
        self._begin(run.start())
        try:
            await self._scenario_over.wait()
        finally:
            self.run_state = None
            if self.sandbox.switch.is_cut:
                self.sandbox.come_online()
            if self.is_running:
                banner.title, banner.say, banner.hint = "", "", ""
                self._label_customer_key()
        assert self.trainee is not None
        return TrainingResult.from_run(run, self.trainee)

    async def _set_up(self, scenario: Scenario) -> None:
        """What happened before the scenario: its earlier sale, recorded on the sandbox (fresh
        for each scenario) so the customer can bring its receipt."""
        if self.customer is not None:
            self.customer.earlier_sale_id = None
        if not scenario.earlier_sale or not scenario.customer.account_id or self.customer is None:
            return
        self.banner.say = "Setting up the practice store…"
        try:
            self.customer.earlier_sale_id = await asyncio.to_thread(
                self.sandbox.record_sale, scenario.customer.account_id, scenario.earlier_sale,
                store_id=self.settings.store_id, terminal_id=self.settings.terminal_id,
            )
        except Exception as error:  # the sandbox failing is the trainer's problem, not the trainee's
            self.notify(printable(f"The earlier sale could not be set up: {error}"), title="Training", severity="error",
                        markup=False)

    async def _receipt_closed(self, appear: float = 5.0) -> None:
        """The trainee sees the (marked) receipt of the paid sale and closes it before the result."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + appear
        while not any(isinstance(screen, ReceiptScreen) for screen in self.screen_stack):
            if loop.time() > deadline:
                return
            await asyncio.sleep(0.05)
        while any(isinstance(screen, ReceiptScreen) for screen in self.screen_stack):
            await asyncio.sleep(0.05)

    def _begin(self, step: Step) -> None:
        if step.event == "service_offline":
            self.sandbox.go_offline()
        elif step.event == "service_online":
            self.sandbox.come_online()
        run = self.run_state
        banner = self.banner
        if run is not None:
            banner.title = f"Step {run.index + 1}/{len(run.records)} · {run.scenario.title}"
        banner.say, banner.hint = step.say, ""
        self._label_customer_key()

    # -- what the trainee did ----------------------------------------------------------------------

    def _sale_changed(self, sale: Sale | None) -> None:
        run = self.run_state
        if run is None or sale is None or run.finished:
            return
        view = _view(sale)
        self._mistakes(run.rang_up(view))
        for step in run.update(view):
            self._begin(step)
        self._maybe_over()

    @on(RegisterScreen.CustomerLookup)
    def _lookup(self, message: RegisterScreen.CustomerLookup) -> None:
        run = self.run_state
        if run is not None:
            found = message.identification
            self._mistakes(run.lookup(found.method, found.source, found.value))

    @on(RegisterScreen.Enrolled)
    def _enrolled(self) -> None:
        if self.run_state is not None:
            self.run_state.enrolled = True
            self._sale_changed(self.register_screen.sale)

    @on(TrainingRegisterScreen.ReturnClosed)
    def _return_screen_closed(self) -> None:
        run = self.run_state
        sale_id = self.customer.earlier_sale_id if self.customer is not None else None
        if run is not None and sale_id is not None:
            self.check_returns(run, sale_id)

    @till_work(exclusive=True, group="returns")
    async def check_returns(self, run: ScenarioRun, sale_id: str) -> None:
        """What has come back from the earlier sale, as the sandbox recorded it (every return, also
        one done and then looked past on the same screen)."""
        try:
            counts = await asyncio.to_thread(self.sandbox.returned, sale_id)
        except Exception as error:
            self.notify(printable(f"The practice store did not say what was returned: {error}"), title="Training",
                        severity="error", markup=False)
            return
        if run is not self.run_state or run.finished:
            return
        self._mistakes(run.returned(counts))
        self._sale_changed(self.register_screen.sale)

    @on(RegisterScreen.SaleVoided)
    def _voided(self) -> None:
        if self.run_state is not None:
            self._mistakes(self.run_state.voided())

    @on(RegisterScreen.SalePaid)
    def _paid(self, message: RegisterScreen.SalePaid) -> None:
        run = self.run_state
        if run is not None and not run.finished:
            self._mistakes(run.paid(_view(message.done.sale)))
            self._maybe_over()

    def refuse_scan(self, text: str, *, payment: bool = True) -> None:
        super().refuse_scan(text, payment=payment)
        if self.run_state is not None:
            self._mistakes(self.run_state.refused("payment_card" if payment else "unknown"))

    def _mistakes(self, found: list[str]) -> None:
        run = self.run_state
        if run is None:
            return
        for mistake in found:
            self.notify(printable(f"{mistake[:1].upper()}{mistake[1:]}."), title="Training: a mistake", severity="warning",
                        timeout=8, markup=False)
        self.banner.mistakes = len(run.mistakes)

    def _maybe_over(self) -> None:
        run = self.run_state
        if run is not None and run.finished and self._scenario_over is not None:
            self._scenario_over.set()

    # -- the trainee's keys ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        run = self.run_state
        if action == "customer_acts":
            return run is not None and run.step is not None and bool(run.step.customer_acts)
        if action == "scan_again":
            return run is not None and self.customer is not None and self.customer.last_read is not None
        if action == "hint":
            return run is not None and run.step is not None
        return super().check_action(action, parameters)

    def action_customer_acts(self) -> None:
        run = self.run_state
        act = run.next_act() if run is not None else None
        if run is None or act is None:
            return
        self._label_customer_key()
        self.customer_acts(act, run)

    @till_work(group="customer")
    async def customer_acts(self, act: str, run: ScenarioRun) -> None:
        assert self.customer is not None
        try:
            words = await self.customer.act(act, run.scenario.customer)
        except Exception as error:  # the sandbox failing is the trainer's problem, not the trainee's
            self.notify(printable(f"The practice customer could not do that: {error}"), title="Training", severity="error",
                        markup=False)
            return
        if words and run is self.run_state:
            self.banner.say = words
        self._label_customer_key()

    def action_scan_again(self) -> None:
        if self.customer is not None:
            self.customer.again()

    def action_hint(self) -> None:
        run = self.run_state
        if run is None:
            return
        banner = self.banner
        banner.hint = run.hint()
        banner.hints = run.hints

    def _label_customer_key(self) -> None:
        """F11 says what the customer does next, in the scenario's words: in the footer, and on
        the banner with the other training keys (the register's keys fill an 80-column footer)."""
        run = self.run_state
        label = "Customer"
        keys: list[str] = []
        if run is not None and run.step is not None:
            if run.step.customer_acts:
                label = f"{run.scenario.customer.first_name} {run.act_label()}"
                keys.append(f"F11 {label}")
            if self.customer is not None and self.customer.last_read is not None:
                keys.append("Ctrl+R scan again")
            keys.append("Ctrl+G hint")
        if self.register_screen.is_mounted:
            self.banner.keys = "   ".join(keys)
        bindings = self._bindings.key_to_bindings
        for key, items in bindings.items():
            bindings[key] = [
                replace(binding, description=label) if binding.id == "training.customer_acts" else binding
                for binding in items
            ]
        self.refresh_bindings()


def _view(sale: Sale) -> TillView:
    basket: dict[str, int] = {}
    for line in sale.basket.lines:
        basket[line.product.sku] = basket.get(line.product.sku, 0) + line.quantity
    return TillView(
        basket=basket,
        customer_id=sale.customer.account_id if sale.customer is not None else None,
        rewards=tuple(sale.rewards),
    )


# The sandbox runs on this machine and either answers or is cut off by the lesson (at once), so a
# lookup may take longer than the till's own deadline: on a busy till (seen in CI beside a CPU hog)
# a lookup took over the till's 0.8 s, and the trainee was told "the loyalty service is not
# answering" in the middle of a lesson on expired app codes.
TRAINING_IDENTIFY_SECONDS = 5.0


def training_settings(settings: Settings, sandbox: Sandbox) -> Settings:
    """The till's settings, pointed at the sandbox: its own data folder, never the real service,
    and lookups given at least ``TRAINING_IDENTIFY_SECONDS``."""
    deadlines = replace(settings.deadlines, identify=max(settings.deadlines.identify, TRAINING_IDENTIFY_SECONDS))
    return replace(settings, data_dir=sandbox.root, api_url=sandbox.url, api_key=sandbox.api_key, theme=TRAINING_THEME,
                   deadlines=deadlines)


def make_training_app(
    settings: Settings,
    sandbox: Sandbox,
    scenarios: list[Scenario] | None = None,
    *,
    trainee: str | None = None,
    checkout: Checkout | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> TrainingApp:
    """The register in training mode on ``sandbox``; ``settings`` are the till's usual ones."""
    settings = training_settings(settings, sandbox)
    if checkout is None:
        client = LoyaltyClient(settings.api_url or "", settings.api_key or "", deadlines=settings.deadlines)
        checkout = Checkout(client, settings)
    return TrainingApp(settings, checkout, sandbox, scenarios if scenarios is not None else shipped_scenarios(),
                       trainee=trainee, clock=clock)
