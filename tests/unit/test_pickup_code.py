"""A click & collect pickup code (ORD-…) through the one classifier: typed, scanned, and drawn as
the shop's e-mail draws it (QR and Code 128) and read back by the real decoders, it is an order to
hand over; anything that only looks like one is refused with words, never taken for something else."""

from __future__ import annotations

import pytest

from devices.barcode_decoder import Decoded, ZbarDecoder, ZxingDecoder
from devices.events import OrderScanned, ScanRejected
from devices.hub import DeviceHub, event_for
from devices.payload import BAD_PICKUP_CODE, classify, classify_command
from loyalty_service.orders import new_pickup_code
from pos_core.pickup_code import pickup_code
from tests.unit.barcode_images import DEGRADATIONS, frame

CODE = "ORD-7K2M9QXR4T8VZ1HC3N5P"


@pytest.mark.parametrize("text", [CODE, CODE.lower(), f"  {CODE}\r\n", "ORD-7K2M-9QXR-4T8V-Z1HC-3N5P",
                                  "ord 7k2m 9qxr 4t8v z1hc 3n5p".replace("ord ", "ORD-"), "ORD-7K2M9QXR4T8VZIHC3N5P"])
def test_a_pickup_code_typed_or_scanned_is_an_order(text: str) -> None:
    payload = classify(text)  # the last one has I for 1, as people type it
    assert (payload.kind, payload.pickup_code, payload.shown, payload.message) == ("order", CODE, CODE, "")
    assert payload.identification is None and payload.product_code is None
    assert event_for(payload, "scanner") == OrderScanned(CODE, "scanner")
    assert classify_command(text)["kind"] == "order"


@pytest.mark.parametrize("text", ["ORD-", "ORD-1234", CODE + "X", CODE[:-1], CODE[:-1] + "U", CODE + "\x1b[31m",
                                  "ORD-[b]7K2M9QXR4T8VZ1HC3N5P[/b]"])
def test_what_only_looks_like_a_pickup_code_is_refused_in_plain_words(text: str) -> None:
    payload = classify(text)
    assert (payload.kind, payload.pickup_code, payload.message) == ("unknown", None, BAD_PICKUP_CODE)
    assert isinstance(event_for(payload, "scanner"), ScanRejected)
    assert "\x1b" not in payload.shown and "[" not in payload.shown


def test_the_codes_the_service_draws_are_the_form_the_till_reads() -> None:
    codes = {new_pickup_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(pickup_code(code) == code for code in codes)


@pytest.mark.parametrize("decoder", [ZxingDecoder(), ZbarDecoder()], ids=lambda d: d.name)
@pytest.mark.parametrize("symbology", ["qr", "code128"])
def test_the_e_mailed_code_held_up_to_the_camera_reaches_the_till_as_an_order(decoder: object, symbology: str) -> None:
    # A phone screen held up turned a little; a 24-character Code 128 is read as printed, square on.
    picture = frame(CODE, symbology, **DEGRADATIONS["rotated 7°" if symbology == "qr" else "clean"])
    decoded = decoder.decode(picture)  # type: ignore[attr-defined]
    assert decoded == [Decoded(symbology, CODE)]
    told: list[object] = []
    DeviceHub(told.append).read_text(decoded[0].text, "camera")
    assert told == [OrderScanned(CODE, "camera")]
