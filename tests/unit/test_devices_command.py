"""``python -m devices``, run as the people who install tills run it."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2

from devices.__main__ import _till_settings, printer_row
from tests.printer_listener import NO_PAPER, PrinterListener
from tests.unit.barcode_images import frame, write_video

VISA = "4111111111111111"


def devices(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "devices", *args], capture_output=True, text=True, timeout=60)


def test_decode_an_image_and_a_video(tmp_path: Path) -> None:
    image = tmp_path / "pass.png"
    cv2.imwrite(str(image), frame("https://loyalty.example.com/pass/2991000000016", "pdf417"))
    result = devices("decode", str(image))
    assert result.returncode == 0, result.stderr
    [line] = [json.loads(text) for text in result.stdout.splitlines()]
    assert (line["frame"], line["format"], line["kind"], line["method"], line["value"]) == (
        0, "pdf417", "wallet_pass", "card", "2991000000016")

    video = tmp_path / "camera.avi"
    write_video(video, [(("LOYALTY:ZSKRIOZAAF25G5FS", "qr"), 12), (None, 4), (("5012345678900", "ean13"), 12)])
    result = devices("decode", str(video))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(text) for text in result.stdout.splitlines()]
    assert [(line["format"], line["kind"]) for line in lines] == [("qr", "app_qr"), ("ean13", "product")]
    assert lines[0]["frame"] == 0 and lines[1]["frame"] == 16


def test_decode_says_why_a_file_cannot_be_read(tmp_path: Path) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a picture")
    result = devices("decode", str(text_file))
    assert result.returncode == 1 and "not an image or a video" in result.stderr


def test_classify_shows_a_payment_card_only_by_its_last_four() -> None:
    result = devices("classify", f"%B{VISA}^DOE/JOHN^2912101?;{VISA}=2912101?")
    answer = json.loads(result.stdout)
    assert answer["kind"] == "payment_card" and "payment terminal" in answer["message"]
    assert VISA not in result.stdout + result.stderr and VISA[:8] not in result.stdout
    assert answer["shown"].endswith("1111")
    loyalty = json.loads(devices("classify", "2991000000016").stdout)
    assert (loyalty["kind"], loyalty["method"], loyalty["value"]) == ("loyalty_card", "card", "2991000000016")


def test_list_says_what_is_here_and_why_not(tmp_path: Path) -> None:
    result = devices("list", "--camera", str(tmp_path / "none.avi"), "--nfc", "udp:127.0.0.1:9", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["source"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert rows["keyboard-wedge scanner / stripe reader"]["available"]
    assert rows["barcode decoder zxing"]["available"]
    camera = rows[f"camera {tmp_path / 'none.avi'}"]
    assert not camera["available"] and camera["why_not"]


def test_list_reports_the_receipt_printer_configured_or_given(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "cashier.toml"
    with PrinterListener() as printer:
        config.write_text(f'[printer]\nconnection = "{printer.url}"\n')
        result = subprocess.run([sys.executable, "-m", "devices", "list", "--nfc", "udp:127.0.0.1:9", "--json"],
                                capture_output=True, text=True, timeout=60, env={**os.environ, "CASHIER_CONFIG": str(config)})
    assert result.returncode == 0, result.stderr
    rows = [row for row in map(json.loads, result.stdout.splitlines()) if row["source"].startswith("receipt printer")]
    assert rows == [{"source": f"receipt printer {printer.url}", "available": True, "why_not": None}]

    # The same row for --printer URL, and for the settings the till reads (as ``list`` builds it).
    with PrinterListener(paper=NO_PAPER) as empty:
        assert printer_row(empty.url, None, None) == (f"receipt printer {empty.url}", "reachable, but out of paper")
    assert "Connection refused" in printer_row(empty.url, None, None)[1]
    if importlib.util.find_spec("cups") is None:  # python-escpos's CUPS printer needs pycups: said so
        assert "needs pycups" in printer_row("cups://TM-T88V", None, None)[1]
    (tmp_path / "empty.toml").write_text("")
    monkeypatch.setenv("CASHIER_CONFIG", str(tmp_path / "empty.toml"))
    assert "none configured" in printer_row(None, *_till_settings())[1]


def test_classify_never_prints_a_card_number_however_it_is_written() -> None:
    for text in ["4111.1111.1111.1111", "4111/1111/1111/1111", "4111_1111_1111_1111", "４１１１１１１１１１１１１１１１"]:
        result = devices("classify", text)
        assert result.returncode == 0, result.stderr
        answer = json.loads(result.stdout)
        assert (answer["kind"], answer["shown"]) == ("payment_card", "•••• 1111")
        assert "4111" not in result.stdout.replace("•••• 1111", "") and "４１１１" not in result.stdout
    # An EAN-13 / GTIN-14 whose check digits fit both GS1 and Luhn: a product, printed masked.
    for code in ("3600000000061", "36000000000081"):
        result = devices("classify", code)
        answer = json.loads(result.stdout)
        assert (answer["kind"], answer["product_code"], answer["shown"]) == ("product", f"•••• {code[-4:]}", f"•••• {code[-4:]}")
        assert code[:8] not in result.stdout
