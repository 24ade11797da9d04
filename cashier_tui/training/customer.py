"""The scenario's customer, played through the till's own devices: the app code is shown to the
(simulated) camera, a card goes through the scanner or stripe reader, a tag is laid on the
(simulated) NFC reader, the receipt of an earlier sale goes under the scanner. The trainee presses
F11 for the moment the customer hands it over."""

from __future__ import annotations

import asyncio
import time

from devices.hub import DeviceHub
from devices.simulated_camera import SimulatedCamera
from devices.simulated_nfc import SimulatedNfcReader
from pos_core.receipt import receipt_number
from pos_core.training.sandbox import Sandbox
from pos_core.training.scenario import Customer

# A test number the card schemes publish: Luhn-valid, never a real account. The till refuses it
# and keeps only its last four digits, as it does any payment card.
TEST_PAYMENT_CARD = "4111111111111111"
_CARD_EXPIRY = "2912"


class SimulatedCustomer:
    def __init__(self, hub: DeviceHub, sandbox: Sandbox) -> None:
        self.hub = hub
        self.sandbox = sandbox
        self.camera = SimulatedCamera(
            None,
            on_read=lambda decoded: hub.read_text(decoded.text, "camera"),
            on_problem=lambda message: hub.problem("camera", message),
        )
        self.nfc = SimulatedNfcReader(
            "simulated", on_tap=hub.nfc_tap, on_problem=lambda message: hub.problem("nfc", message)
        )
        hub.add(self.camera)
        hub.add(self.nfc)
        # What was last read, for "scan it again" (F5): the text and the reader.
        self.last_read: tuple[str, str] | None = None
        # The scenario's earlier sale, recorded on the sandbox as it started: its receipt.
        self.earlier_sale_id: str | None = None

    async def act(self, act: str, customer: Customer) -> str | None:
        """The customer does ``act``; returns words for the trainee when they say something."""
        match act:
            case "app_qr":
                token, _ = await asyncio.to_thread(self.sandbox.app_code, _required(customer.account_id))
                self._show(token)
            case "app_qr_expired":
                # A code opened in the queue: issued short-lived, and shown once it has expired.
                token, expires = await asyncio.to_thread(self.sandbox.app_code, _required(customer.account_id), 1)
                wait = expires - time.time()
                if wait > 0:
                    await asyncio.sleep(wait + 0.05)
                self._show(token)
            case "app_qr_replayed":
                # A screenshot of a code already used at another till.
                token, _ = await asyncio.to_thread(self.sandbox.app_code, _required(customer.account_id))
                await asyncio.to_thread(self.sandbox.use_code, token)
                self._show(token)
            case "card_scan":
                self._read(_required(customer.card), "scanner")
            case "card_swipe":
                self._read(f";{_required(customer.card)}={_CARD_EXPIRY}?", "scanner")
            case "nfc_tap":
                self.nfc.tap(_required(customer.nfc_uid))
                self.last_read = None
            case "phone":
                return f"{customer.first_name} says: \"My number is {customer.phone}.\""
            case "receipt":
                if self.earlier_sale_id is None:
                    raise ValueError("the scenario's earlier sale was not recorded")
                self._read(receipt_number(self.earlier_sale_id), "scanner")
            case "payment_card":
                self._read(f";{TEST_PAYMENT_CARD}={_CARD_EXPIRY}1010000000000000?", "scanner")
            case _:
                raise ValueError(f"unknown customer act {act!r}")
        return None

    def again(self) -> bool:
        """The cashier scans what was handed over once more; False when there is nothing to scan."""
        if self.last_read is None:
            return False
        self.hub.read_text(*self.last_read)
        return True

    def _show(self, token: str) -> None:
        self.camera.show(token, "qr")
        self.last_read = (token, "scanner")

    def _read(self, text: str, source: str) -> None:
        self.hub.read_text(text, source)
        self.last_read = (text, source)


def _required(value: str | None) -> str:
    if not value:
        raise ValueError("the scenario's customer lacks what this act needs")  # the loader checks this
    return value
