"""The pole display on a real pseudo-terminal: pyserial opens the slave's path, the test reads the
master and checks the exact bytes of both command sets, the character set, and that a missing or
unplugged port is told and retried, never raised."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.pole_display import COMMAND_SETS, PoleDisplay, PoleDisplayError, encode_line, parse_pole_url, pole_availability
from pos_core.pole_lines import pole_pages
from pos_core.settings import SettingsError, load_settings
from tests.waiting import wait_until


class Pty:
    """A pseudo-terminal whose master end the test reads, as the display would."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.received = b""

    def read(self) -> bytes:
        while select.select([self.master], [], [], 0)[0]:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.received += chunk
        return self.received

    def wait_for(self, data: bytes, timeout: float = 5.0) -> bytes:
        return wait_until(lambda: data in self.read() and self.received, timeout=timeout, what=f"{data!r} on the pty")

    def close(self) -> None:
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def pty() -> Iterator[Pty]:
    terminal = Pty()
    yield terminal
    terminal.close()


@pytest.fixture
def displays() -> Iterator[list[PoleDisplay]]:
    started: list[PoleDisplay] = []
    yield started
    for display in started:
        display.stop()


def start(displays: list[PoleDisplay], url: str, protocol: str, **kwargs) -> PoleDisplay:
    display = PoleDisplay(url, protocol, **kwargs)
    display.start()
    displays.append(display)
    return display


BASKET = {"phase": "basket", "store": "Demo Store", "total_text": "£3.27",
          "last_item": {"name": "Milk 1L", "quantity": 1, "amount": 109, "amount_text": "£1.09"}}


def test_epson_writes_init_code_table_clear_and_both_lines_at_their_places(pty, displays) -> None:
    start(displays, f"serial://{pty.path}?baudrate=9600", "epson").show(pole_pages(BASKET))
    expected = (
        b"\x1b@" b"\x1bt\x13" b"\x0c"                     # ESC @, code table PC858, clear
        b"\x1f$\x01\x01" b"Milk 1L        \x9c1.09"     # US $ 1 1, line 1 (£ is 0x9C in PC858)
        b"\x1f$\x01\x02" b"TOTAL          \x9c3.27"     # US $ 1 2, line 2
    )
    assert pty.wait_for(expected) == expected


def test_cd5220_writes_its_own_commands_in_the_uk_set(pty, displays) -> None:
    start(displays, f"serial://{pty.path}", "cd5220").show(pole_pages(BASKET))
    expected = (
        b"\x1b@" b"\x1bfU" b"\x0c"                         # ESC @, U.K. character set, clear
        b"\x1bQA" b"Milk 1L        #1.09" b"\r"         # ESC Q A line 1 CR (# is £ in the U.K. set)
        b"\x1bQB" b"TOTAL          #3.27" b"\r"
    )
    assert pty.wait_for(expected) == expected


def test_every_character_is_one_byte_and_data_never_becomes_a_command() -> None:
    hostile = "\x1b@\x0c\x1f$\r\n€é[b]ñ💥#"
    epson, cd5220 = encode_line(hostile, "epson"), encode_line(hostile, "cd5220")
    assert len(epson) == len(cd5220) == 20
    for encoded in (epson, cd5220):
        assert not any(byte < 0x20 or byte == 0x7F for byte in encoded)
    assert epson == b"?@??$??\xd5\x82[b]\xa4?#".ljust(20)   # € and é in PC858; the emoji lost
    assert cd5220 == b"?@??$??Ee[b]n??".ljust(20)         # no € or # in the U.K. set
    # Through the whole chain: a product whose name is a command sends only text.
    view = dict(BASKET, last_item={"name": "\x1b@\x0cEvil\x1f$", "quantity": 2, "amount": 1, "amount_text": "£0.01"})
    [(line1, line2)] = pole_pages(view)
    frame = COMMAND_SETS["epson"].frame((line1, line2))
    assert frame.count(b"\x1b") == 0 and frame.count(b"\x1f") == 2 and b"2 x ?@ Evil $ " in frame


def test_pages_fit_twenty_columns_and_follow_the_sale() -> None:
    welcome = pole_pages({"phase": "welcome", "store": "Demo Store"})
    assert welcome == [("     Demo Store     ", "      WELCOME       ")]
    long = dict(BASKET, last_item={"name": "Extra mature cheddar 400g", "quantity": 3, "amount": 1347,
                                   "amount_text": "£13.47"}, total_text="£1,013.47")
    assert pole_pages(long) == [("3 x Extra mat £13.47", "TOTAL      £1,013.47")]
    paid = {"phase": "thank_you", "thank_you": {"total_text": "£3.27", "change_text": "£6.73",
                                                "points_earned": 12, "balance": 1212}}
    assert pole_pages(paid) == [("TOTAL          £3.27", "CHANGE         £6.73"),
                                ("POINTS EARNED     12", "BALANCE        1,212")]
    exact = {"phase": "thank_you", "thank_you": {"total_text": "£3.27", "change_text": None, "points_earned": None}}
    assert pole_pages(exact) == [("TOTAL          £3.27", "     THANK YOU      ")]
    for pages in (welcome, pole_pages(long), pole_pages(paid)):
        assert all(len(line) == 20 for page in pages for line in page)


def test_after_payment_the_pages_turn(pty, displays) -> None:
    paid = {"phase": "thank_you", "thank_you": {"total_text": "£3.27", "change_text": "£6.73",
                                                "points_earned": 12, "balance": 1212}}
    start(displays, f"serial://{pty.path}", "cd5220", page_seconds=0.05).show(pole_pages(paid))
    pty.wait_for(b"\x1bQATOTAL          #3.27\r")
    pty.wait_for(b"\x1bQAPOINTS EARNED     12\r\x1bQBBALANCE        1,212\r")
    pty.wait_for(b"1,212\r\x1bQATOTAL")  # and back to the first page


def test_a_training_sale_is_marked_on_the_pole_in_turn(pty, displays) -> None:
    training = dict(BASKET, training=True)
    assert pole_pages(training) == pole_pages(BASKET) + [("   TRAINING MODE    ", "  NOT A REAL SALE   ")]
    assert pole_pages({"phase": "welcome", "store": "Demo Store", "training": True})[-1][0].strip() == "TRAINING MODE"
    start(displays, f"serial://{pty.path}", "cd5220", page_seconds=0.05).show(pole_pages(training))
    pty.wait_for(b"\x1bQA   TRAINING MODE    \r\x1bQB  NOT A REAL SALE   \r")
    pty.wait_for(b"NOT A REAL SALE   \r\x1bQA" + encode_line(pole_pages(BASKET)[0][0], "cd5220"))


def test_a_missing_port_is_told_retried_and_back_when_plugged_in(tmp_path: Path, pty, displays) -> None:
    port = tmp_path / "ttyUSB1"
    told: list[str | None] = []
    display = start(displays, f"serial://{port}?baudrate=9600", "epson", retry_seconds=(0.02, 0.05),
                    on_problem=told.append, on_back=lambda: told.append(None))
    display.show(pole_pages(BASKET))
    wait_until(lambda: told, timeout=5, what="the problem told")
    assert told == [f"{port}: No such file or directory"] and display.problem == told[0]
    port.symlink_to(pty.path)  # plugged in
    pty.wait_for(b"TOTAL          \x9c3.27")
    wait_until(lambda: told[-1:] == [None], timeout=5, what="back told")
    assert display.problem is None and told.count(told[0]) == 1  # told once, however often it retried

    # Unplugged while running: the device goes (its node too: a closed pty's number is soon another
    # test's), the write fails, it is told, and the display comes back on a new port.
    port.unlink()
    pty.close()
    display.show(pole_pages({"phase": "welcome", "store": "Demo Store"}))
    wait_until(lambda: len(told) >= 3, timeout=5, what="the unplugged port told")
    assert told[2].startswith(f"{port}: ")  # (then "No such file" while it retries)
    again = Pty()
    try:
        port.symlink_to(again.path)
        again.wait_for(b"\x1b@\x1bt\x13\x0c\x1f$\x01\x01     Demo Store     ")
        wait_until(lambda: told[-1:] == [None], timeout=5, what="back again")
    finally:
        display.stop()
        again.close()


def test_show_never_waits_for_the_port(tmp_path: Path, displays) -> None:
    display = start(displays, f"serial://{tmp_path / 'none'}", "epson", retry_seconds=(5.0, 5.0))
    for _ in range(100):
        display.show(pole_pages(BASKET))
    display.stop(timeout=2)  # the thread's backoff wait is cut short by stop
    assert not display._thread.is_alive()


def test_settings_are_checked_and_availability_says_why(pty, tmp_path: Path) -> None:
    assert parse_pole_url("serial:///dev/ttyUSB1?baudrate=19200") == ("/dev/ttyUSB1", 19200)
    assert parse_pole_url("serial://COM3") == ("COM3", 9600)
    for bad in ("/dev/ttyUSB1", "serial://", "serial:///dev/ttyUSB1?baudrate=fast", "serial:///dev/x?parity=E"):
        with pytest.raises(PoleDisplayError):
            parse_pole_url(bad)
    with pytest.raises(PoleDisplayError):
        PoleDisplay(f"serial://{pty.path}", "vt100")
    assert pole_availability(f"serial://{pty.path}") is None
    assert pole_availability(f"serial://{tmp_path / 'none'}") == f"{tmp_path / 'none'}: No such file or directory"


def test_devices_list_reports_the_pole_display(pty, tmp_path: Path) -> None:
    """The one given with --pole, else the one in the till's settings file."""
    missing = f"serial://{tmp_path / 'ttyUSB1'}?baudrate=9600"
    config = tmp_path / "cashier.toml"
    config.write_text(f'[customer_display]\npole = "{missing}"\n')
    rows = {}
    for flags in (["--pole", f"serial://{pty.path}?baudrate=9600"], []):
        result = subprocess.run([sys.executable, "-m", "devices", "list", "--camera", str(tmp_path / "none.avi"),
                                 "--nfc", "udp:127.0.0.1:9", *flags, "--json"], capture_output=True, text=True,
                                timeout=60, env=os.environ | {"CASHIER_CONFIG": str(config)})
        assert result.returncode == 0, result.stderr
        rows |= {row["source"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert rows[f"pole display serial://{pty.path}?baudrate=9600"] == {
        "source": f"pole display serial://{pty.path}?baudrate=9600", "available": True, "why_not": None}
    assert rows[f"pole display {missing}"]["why_not"] == f"{tmp_path / 'ttyUSB1'}: No such file or directory"


def test_a_malformed_pole_setting_is_refused_with_the_file_named(tmp_path: Path) -> None:
    config = tmp_path / "cashier.toml"
    config.write_text('[customer_display]\npole = "serial:///dev/ttyUSB1?baudrate=fast"\n')
    with pytest.raises(SettingsError, match=r"cashier\.toml: customer_display\.pole: baudrate must be one of"):
        load_settings(config)
    config.write_text('[customer_display]\npole = "serial:///dev/ttyUSB1?baudrate=19200"\npole_protocol = "cd5220"\n')
    assert load_settings(config).customer_display.pole == "serial:///dev/ttyUSB1?baudrate=19200"
