from pathlib import Path

import pytest

from pos_core.settings import SettingsError, load_settings


def test_defaults_mean_embedded_demo_store(tmp_path: Path) -> None:
    settings = load_settings(environ={})
    assert settings.embedded
    assert settings.store_id == "demo-store"


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    path = tmp_path / "cashier.toml"
    path.write_text('api_url = "http://127.0.0.1:9"\napi_key = "k"\nterminal_id = "till-7"\n[deadlines]\nidentify = 0.5\n[keymap]\n"register.pay" = "f12"\n')
    settings = load_settings(path, environ={"CASHIER_TERMINAL_ID": "till-8"}, overrides={"store_id": "s-42"})
    assert (settings.api_url, settings.terminal_id, settings.store_id) == ("http://127.0.0.1:9", "till-8", "s-42")
    assert settings.deadlines.identify == 0.5 and settings.deadlines.sale == 5.0
    assert settings.keymap == {"register.pay": "f12"}
    assert not settings.embedded


@pytest.mark.parametrize(
    ("text", "words"),
    [("api_ulr = 'x'", "unknown setting 'api_ulr'"), ("[deadlines]\nidentfy = 1", "unknown deadline identfy"),
     ("health_interval = -1", "positive"), ("api_url = 'ftp://x'\napi_key='k'", "http://"),
     ("api_url = 'http://x'", "api_key"), ("receipt_width = 10", "between 32 and 80"), ("= nope", "not valid TOML")],
)
def test_bad_settings_are_refused_with_the_reason(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "cashier.toml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=words):
        load_settings(path, environ={})


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_kiosk_table(tmp_path: Path) -> None:
    path = tmp_path / "cashier.toml"
    path.write_text('[kiosk]\nidle_seconds = 45\nstaff_pin = "9753"\nremove_needs_staff = false\n')
    kiosk = load_settings(path, environ={}).kiosk
    assert (kiosk.idle_seconds, kiosk.staff_pin, kiosk.remove_needs_staff, kiosk.still_there_seconds) == (45, "9753", False, 20)
    path.write_text("[kiosk]\nstaff_pin = 1234\n")
    with pytest.raises(SettingsError, match="4 to 8 digits"):
        load_settings(path, environ={})
    path.write_text("[kiosk]\nidel_seconds = 3\n")
    with pytest.raises(SettingsError, match="unknown kiosk setting idel_seconds"):
        load_settings(path, environ={})


def test_an_apps_defaults_give_way_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cashier.toml"
    path.write_text('terminal_id = "kiosk-7"\n')
    assert load_settings(path, environ={}, defaults={"terminal_id": "kiosk-1"}).terminal_id == "kiosk-7"
    assert load_settings(environ={}, defaults={"terminal_id": "kiosk-1"}).terminal_id == "kiosk-1"


def test_devices_table(tmp_path: Path) -> None:
    path = tmp_path / "cashier.toml"
    path.write_text('[devices]\ncamera = 0\nnfc = "usb:072f:2200"\ndecoder = "zbar"\n'
                    'loyalty_card_prefixes = ["2991", "2992"]\nscanner_max_gap_ms = 50\nscanner_burst_end_ms = 80\n')
    devices = load_settings(path, environ={}).devices
    assert (devices.camera, devices.nfc, devices.decoder) == ("0", "usb:072f:2200", "zbar")
    assert devices.loyalty_card_prefixes == ("2991", "2992")
    assert (devices.scanner_max_gap_ms, devices.scanner_burst_end_ms, devices.scanner_min_length) == (50, 80, 4)
    for bad, why in [
        ('decoder = "zebra"', "zxing"),
        ('loyalty_card_prefixes = ["29A"]', "digit strings"),
        ("scanner_max_gap_ms = 90", "not be more than"),
        ("camra = 0", "unknown devices setting camra"),
        ('nfc_targets = ["212X"]', "nfc_targets"),
    ]:
        path.write_text(f"[devices]\n{bad}\n")
        with pytest.raises(SettingsError, match=why):
            load_settings(path, environ={})
