"""pos_core, devices and loyalty_service must load without Textual (house rule 1)."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "modules",
    [
        "pos_core.checkout, pos_core.receipt, pos_core.settings, pos_core.embedded_service, pos_core.item_entry,"
        " pos_core.live_updates, pos_core.launch, pos_core.till_sim, pos_core.shown_text, pos_core.keystroke_logging",
        "pos_core.training.scenario, pos_core.training.scoring, pos_core.training.results, pos_core.training.report,"
        " pos_core.training.sandbox",
        "devices.phone_entry, devices.identification, devices.barcode_decoder, devices.repeat_filter, devices.camera,"
        " devices.simulated_camera, devices.decode_file, devices.nfc_reader, devices.simulated_nfc, devices.payload,"
        " devices.magstripe, devices.check_digits, devices.reader_thread, devices.keyboard_wedge, devices.hub, devices.events, devices.__main__",
        "loyalty_service.app, loyalty_service.__main__",
    ],
)
def test_core_packages_do_not_import_textual(modules: str) -> None:
    code = f"import sys; import {modules}; print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'cashier_tui', 'selfcheckout')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_service_does_not_import_the_till() -> None:
    """The service and the till share only the API contract."""
    code = "import sys, loyalty_service.app, loyalty_service.__main__; print(sorted({m.split('.')[0] for m in sys.modules} & {'pos_core', 'devices'}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
