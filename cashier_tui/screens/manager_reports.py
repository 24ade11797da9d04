"""The register's manager screen: this store's figures, behind a manager's id and PIN (asked by the
register before it opens), in three views: participation by hour today, the week's enrolments by
cashier (the leaderboard), and the rewards redeemed today and this week.

Each view is a chart (textual-plotext) with every figure also in words below it, since a chart
alone is not accessible. The figures come from the loyalty service's reports in a worker (the
``fetch`` the register hands over holds the manager's credentials, for the refresh key, until the
screen closes); offline or a refusal is a plain message, and Escape goes back to the sale, which
this screen never touches. Cashier and reward names are data: shown as text, control characters
made visible, in the charts' labels too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Label, Static, TabbedContent, TabPane
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from cashier_tui.error_messages import cashier_message
from pos_core.loyalty_errors import LoyaltyError, LoyaltyUnavailable, NotFound, RequestRefused
from pos_core.money import format_money
from pos_core.shown_text import printable
from pos_core.store_figures import (
    StoreFigures,
    hour_words,
    leaderboard,
    leaderboard_words,
    participation_words,
    rewards_words,
)
from till_tui.keys_footer import KeysFooter
from till_tui.workers import till_work

OFFLINE = "The loyalty service is not answering, so the figures cannot be shown now. R tries again; Esc goes back to the sale."
NO_REPORTS = "This loyalty service has no store reports (it is older than them): ask IT to update it."
WRONG_PIN = "That id and PIN are not a manager's. A manager types their own."
LOCKED = "This manager is locked out after 5 wrong PINs; head office can free them."
# The longest label a chart gives a bar: names are cut to it so the bars keep their room at 80 columns.
LABEL_WIDTH = 16


def refusal_words(error: LoyaltyError) -> str:
    """What the register says when the service will not give a manager the figures."""
    if isinstance(error, RequestRefused) and error.code == "wrong_manager_pin":
        return WRONG_PIN
    if isinstance(error, RequestRefused) and error.code == "manager_locked":
        return LOCKED
    if isinstance(error, NotFound):
        return NO_REPORTS
    if is_offline(error):
        return OFFLINE
    return f"The figures cannot be shown: {cashier_message(error)}"


def is_offline(error: LoyaltyError) -> bool:
    """No answer: the screen opens to say so, and R tries again once the service is back."""
    return isinstance(error, LoyaltyUnavailable) and error.status != 429


def chart_label(name: str) -> str:
    """A name as a chart's label: visible characters only, cut to LABEL_WIDTH."""
    shown = printable(name)
    return shown if len(shown) <= LABEL_WIDTH else shown[: LABEL_WIDTH - 1] + "…"


class ManagerReportsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "close", "Back to sale", id="manager.close", tooltip="Close the manager screen; the sale is as it was"),
        Binding("1", "view('participation')", "Participation", id="manager.participation",
                tooltip="Member sales and all sales, hour by hour today"),
        Binding("2", "view('enrolments')", "Enrolments", id="manager.enrolments",
                tooltip="This week's enrolments by cashier, the leader first"),
        Binding("3", "view('rewards')", "Rewards", id="manager.rewards",
                tooltip="Rewards redeemed today and this week, and what they cost"),
        Binding("r", "refresh", "Refresh", id="manager.refresh", tooltip="Fetch the figures again"),
    ]

    def __init__(self, fetch: Callable[[], Awaitable[StoreFigures]], *, where: str, signed_on: str | None,
                 figures: StoreFigures | None = None, problem: str | None = None) -> None:
        """``fetch``: the figures, with the manager's credentials; ``figures``/``problem``: the first
        answer, already fetched by the register (which checked the PIN with it)."""
        super().__init__()
        self.fetch = fetch
        self.where = where
        self.signed_on = signed_on
        self.figures = figures
        self.problem = problem

    def compose(self) -> ComposeResult:
        yield Label(f"Manager · {self.where}", id="manager-title", markup=False)
        yield Label("", id="manager-state", markup=False)
        with TabbedContent(id="manager-views"):
            with TabPane("1 Participation today", id="participation"):
                yield PlotextPlot(id="participation-chart", classes="manager-chart")
                yield Static("", id="participation-text", classes="manager-text", markup=False)
            with TabPane("2 Enrolments this week", id="enrolments"):
                yield PlotextPlot(id="enrolments-chart", classes="manager-chart")
                yield Static("", id="enrolments-text", classes="manager-text", markup=False)
            with TabPane("3 Rewards redeemed", id="rewards"):
                yield PlotextPlot(id="rewards-chart", classes="manager-chart")
                yield Static("", id="rewards-text", classes="manager-text", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        # The tabs' panes are mounted after the screen is: draw once they are there.
        self.call_after_refresh(self._first_look)

    def _first_look(self) -> None:
        if self.figures is not None:
            self.show(self.figures)
        else:
            self.say(self.problem or "Fetching the figures…")

    @property
    def state(self) -> Label:
        return self.query_one("#manager-state", Label)

    def say(self, text: str) -> None:
        self.state.update(text)
        self.state.set_class(bool(text), "problem")

    # -- the figures ---------------------------------------------------------------------------

    def show(self, figures: StoreFigures) -> None:
        self.figures = figures
        days = figures.days
        self.say("")
        self.state.update(f"Today {days.today:%a %-d %b %Y} · week from {days.week_start:%a %-d %b}")
        self._participation(figures)
        self._enrolments(figures)
        self._rewards(figures)

    def _text(self, widget_id: str, lines: list[str]) -> None:
        self.query_one(widget_id, Static).update(Text("\n".join(lines)))

    def _participation(self, figures: StoreFigures) -> None:
        report = figures.by_hour
        plot = self.query_one("#participation-chart", PlotextPlot)
        plt = plot.plt
        plt.clear_figure()
        if report.rows:
            hours = [(row.hour or "?")[:2] for row in report.rows]
            plt.multiple_bar(hours, [[row.sales for row in report.rows], [row.member_sales for row in report.rows]],
                             labels=["all sales", "member sales"])
            _count_axis(plt, max(row.sales for row in report.rows), "y")
        plt.title("Sales and member sales by hour")
        plot.refresh()
        self._text("#participation-text", [participation_words(report), *hour_words(report)])

    def _enrolments(self, figures: StoreFigures) -> None:
        places = leaderboard(figures.enrolments, self.signed_on)
        plot = self.query_one("#enrolments-chart", PlotextPlot)
        plt = plot.plt
        plt.clear_figure()
        if places:
            shown = list(reversed(places[:8]))  # a horizontal chart draws its first bar at the bottom
            labels = [("▶" if place.here else "") + chart_label(place.name) for place in shown]
            plt.bar(labels, [place.enrolments for place in shown], orientation="horizontal", width=0.6)
            _count_axis(plt, max(place.enrolments for place in places), "x")
        plt.title("Enrolments this week by cashier")
        plot.refresh()
        self._text("#enrolments-text", leaderboard_words(places))

    def _rewards(self, figures: StoreFigures) -> None:
        today, week = figures.rewards_today, figures.rewards_week
        plot = self.query_one("#rewards-chart", PlotextPlot)
        plt = plot.plt
        plt.clear_figure()
        if week.rows:
            rows = week.rows[:6]
            today_by_id = {row.reward_id: row.redeemed for row in today.rows}
            plt.multiple_bar([chart_label(row.name) for row in rows],
                             [[today_by_id.get(row.reward_id, 0) for row in rows], [row.redeemed for row in rows]],
                             labels=["today", "this week"])
            _count_axis(plt, max(row.redeemed for row in rows), "y")
        plt.title(f"Rewards redeemed: {format_money(week.cost, week.currency)} this week")
        plot.refresh()
        self._text("#rewards-text", rewards_words(today, week))

    # -- keys ----------------------------------------------------------------------------------

    def action_view(self, view: str) -> None:
        self.query_one(TabbedContent).active = view

    def action_refresh(self) -> None:
        self.load()

    @till_work(exclusive=True, group="manager_reports")
    async def load(self) -> None:
        self.say("Fetching the figures…")
        try:
            figures = await self.fetch()
        except LoyaltyError as error:
            self.say(refusal_words(error))
            return
        self.show(figures)

    def action_close(self) -> None:
        self.dismiss(None)


def _count_axis(plt: Plot, most: int, axis: str) -> None:
    """A count's axis: ticks at whole numbers (never 2.5), at most six, and room above the
    tallest bar for the legend (plotext draws it over the top left corner)."""
    step = max(1, -(-most // 5))
    ticks = list(range(0, most + step, step))
    if axis == "y":
        plt.yticks(ticks)
        plt.ylim(0, most * 1.5 + 1)
    else:
        plt.xticks(ticks)
