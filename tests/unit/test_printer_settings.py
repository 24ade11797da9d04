"""The ``[printer]`` table: every connection the till drives, read into its parts; anything else
refused with the file and the reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pos_core.printer_connection import parse_connection
from pos_core.settings import SettingsError, load_settings


def settings_from(tmp_path: Path, table: str):
    path = tmp_path / "cashier.toml"
    path.write_text(f"receipt_width = 40\n[printer]\n{table}\n")
    return load_settings(path, environ={})


def test_each_kind_of_connection_is_read_into_what_python_escpos_needs() -> None:
    assert (parse_connection("tcp://192.168.1.40:9100").host, parse_connection("tcp://printer.local").port) == (
        "192.168.1.40", 9100)
    usb = parse_connection("usb://04b8:0202")
    assert (usb.kind, usb.vendor_id, usb.product_id) == ("usb", 0x04B8, 0x0202)
    serial = parse_connection("serial:///dev/ttyUSB0?baudrate=19200")
    assert (serial.device, serial.baudrate, parse_connection("serial:///dev/ttyS0").baudrate) == (
        "/dev/ttyUSB0", 19200, 9600)
    assert parse_connection("file:///dev/usb/lp0").device == "/dev/usb/lp0"
    assert parse_connection("cups://TM-T88V").queue == "TM-T88V"


def test_a_printer_table_is_read_with_its_width_on_screen_and_paper(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, 'connection = "tcp://127.0.0.1:9100"\nprofile = "TM-T20II"\nwidth = 48\nqr = "image"')
    assert (settings.printer.profile, settings.printer.qr, settings.paper_width) == ("TM-T20II", "image", 48)
    assert settings_from(tmp_path, 'connection = ""').paper_width == 40  # no width: the till's receipt_width
    assert load_settings(environ={}).printer.connection == ""  # none by default


@pytest.mark.parametrize(("table", "words"), [
    ('conection = "tcp://x:9100"', "unknown printer setting conection"),
    ('connection = "lpt://x"', "is not one the till knows; use one of tcp://"),
    ('connection = "tcp://x:99999"', "port that is not a number"),
    ('connection = "usb://epson"', "usb://VID:PID in hex"),
    ('connection = "serial:///dev/ttyUSB0?baudrate=12"', "baudrate must be one of"),
    ('connection = "serial:///dev/ttyUSB0?speed=9600"', "unknown option speed"),
    ('connection = "cups://"', "cups://QUEUE"),
    ('profile = "TM-NOPE"', "not in python-escpos's printer database"),
    ('codepage = "KOI8"', "not one the TM-T88V has"),
    ("width = 20", "from 32 to 80"),
    ('qr = "maybe"', '"auto", "native" or "image"'),
    ("timeout = 0", "positive"),
])
def test_a_bad_printer_table_is_refused_with_the_file_and_the_reason(tmp_path: Path, table: str, words: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(words)) as refused:
        settings_from(tmp_path, table)
    assert str(tmp_path / "cashier.toml") in str(refused.value)
