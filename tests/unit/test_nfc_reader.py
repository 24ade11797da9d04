"""The NFC reader end to end: real nfcpy reader code against a tag nfcpy emulates, over loopback UDP."""

from __future__ import annotations

import queue
import socket
import statistics
import time
from collections.abc import Iterator

import ndef
import pytest

from devices.nfc_reader import NfcReader, NfcTap, nfc_availability, tap_identification
from devices.simulated_nfc import SimulatedNfcReader
from tests.unit.nfc_emulator import EmulatedType3Tag, free_udp_port, ndef_message

ALICE_CARD = "2991000000016"
ALICE_QR = "LOYALTY:ZSKRIOZAAF25G5FS"
IDM = bytes.fromhex("012E4CD1A2B3C47D")
OTHER_IDM = bytes.fromhex("012E4CD1A2B3C480")
WAIT = 5.0  # generous: a read takes milliseconds, but CI machines stall


class Taps:
    """What the reader told, in order, as the callbacks' owner sees it."""

    def __init__(self) -> None:
        self.taps: queue.Queue[tuple[float, NfcTap]] = queue.Queue()
        self.problems: queue.Queue[str] = queue.Queue()

    def on_tap(self, tap: NfcTap) -> None:
        self.taps.put((time.perf_counter(), tap))

    def on_problem(self, message: str) -> None:
        self.problems.put(message)

    def next_tap(self) -> tuple[float, NfcTap]:
        return self.taps.get(timeout=WAIT)

    def no_more_taps(self, within: float) -> None:
        with pytest.raises(queue.Empty):
            self.taps.get(timeout=within)


@pytest.fixture
def port() -> int:
    return free_udp_port()


@pytest.fixture
def taps() -> Taps:
    return Taps()


@pytest.fixture
def reader(port: int, taps: Taps) -> Iterator[NfcReader]:
    reader = NfcReader(f"udp:127.0.0.1:{port}", taps.on_tap, taps.on_problem, targets=("212F",))
    reader.start()
    yield reader
    reader.stop()
    assert not reader.running
    assert taps.problems.empty()


def present(port: int, idm: bytes, message: bytes | None, taps: Taps) -> tuple[float, float, NfcTap]:
    """Hold a card on the reader until it is read: (laid down → tap, found → tap) seconds and the tap."""
    with EmulatedType3Tag(port, idm, message) as card:
        laid = time.perf_counter()
        told, tap = taps.next_tap()
        assert card.polled_at is not None and card.activated_at is not None
        # Held a while longer: still the same presentation, so no second tap.
        taps.no_more_taps(within=0.4)
    return told - laid, told - card.polled_at, tap


def test_text_record_with_a_card_number_is_one_tap_identifying_the_card(reader: NfcReader, port: int, taps: Taps) -> None:
    to_tap, read, tap = present(port, IDM, ndef_message([ndef.TextRecord(ALICE_CARD)]), taps)

    assert tap == NfcTap(uid="012E4CD1A2B3C47D", ndef_text=ALICE_CARD, ndef_uri=None)
    identification = tap_identification(tap)
    assert (identification.method, identification.value, identification.source) == ("card", ALICE_CARD, "nfc")
    assert ALICE_CARD not in identification.shown
    print(f"\nNFC over udp: card laid down → on_tap {to_tap * 1000:.1f} ms, found → on_tap {read * 1000:.1f} ms")


def test_uri_record_carries_the_card_in_its_query(reader: NfcReader, port: int, taps: Taps) -> None:
    uri = f"https://loyalty.example.com/join?card={ALICE_CARD}&src=tag"
    _, _, tap = present(port, IDM, ndef_message([ndef.UriRecord(uri)]), taps)

    assert tap == NfcTap(uid="012E4CD1A2B3C47D", ndef_text=None, ndef_uri=uri)
    assert (tap_identification(tap).method, tap_identification(tap).value) == ("card", ALICE_CARD)


def test_smart_poster_uri_with_an_app_payload_is_a_qr_identification(reader: NfcReader, port: int, taps: Taps) -> None:
    uri = "https://app.example.com/pass/LOYALTY%3AZSKRIOZAAF25G5FS"
    poster = ndef.SmartposterRecord(uri, title="Your loyalty card")
    _, _, tap = present(port, IDM, ndef_message([poster]), taps)

    assert tap.ndef_uri == uri
    assert (tap_identification(tap).method, tap_identification(tap).value) == ("qr", ALICE_QR)


def test_a_card_with_no_ndef_is_identified_by_its_uid(reader: NfcReader, port: int, taps: Taps) -> None:
    _, _, tap = present(port, IDM, None, taps)

    assert tap == NfcTap(uid="012E4CD1A2B3C47D", ndef_text=None, ndef_uri=None)
    identification = tap_identification(tap)
    assert (identification.method, identification.value) == ("nfc", "012E4CD1A2B3C47D")
    assert identification.shown == "NFC card …7D"


def test_a_text_record_that_is_no_loyalty_id_leaves_the_uid(reader: NfcReader, port: int, taps: Taps) -> None:
    _, _, tap = present(port, IDM, ndef_message([ndef.TextRecord("Hello from the café")]), taps)

    assert tap.ndef_text == "Hello from the café"
    assert (tap_identification(tap).method, tap_identification(tap).value) == ("nfc", "012E4CD1A2B3C47D")


def test_each_presentation_is_one_tap(reader: NfcReader, port: int, taps: Taps) -> None:
    """Removed, another card laid on: a new tap. The same card held: none (see present())."""
    _, _, first = present(port, IDM, ndef_message([ndef.TextRecord(ALICE_CARD)]), taps)
    _, _, second = present(port, OTHER_IDM, None, taps)

    assert (first.uid, second.uid) == ("012E4CD1A2B3C47D", "012E4CD1A2B3C480")


def test_a_card_pulled_away_mid_read_is_no_tap_and_the_next_one_reads(reader: NfcReader, port: int, taps: Taps) -> None:
    """Had it been told as a tap, its UID would stand in for the card number it never finished giving."""
    message = ndef_message([ndef.TextRecord(ALICE_CARD)])
    with EmulatedType3Tag(port, IDM, message, leaves_after_blocks=1) as card:  # the attribute block only
        deadline = time.monotonic() + WAIT
        while not card.gone and time.monotonic() < deadline:
            time.sleep(0.01)
        assert card.gone and card.blocks_sent == 1
    # nfcpy retries the read up to ~1.4 s (this tag's PMm asks for the longest timeouts).
    taps.no_more_taps(within=2.0)

    _, _, tap = present(port, IDM, message, taps)
    assert tap.ndef_text == ALICE_CARD


def test_read_time_over_udp(reader: NfcReader, port: int, taps: Taps) -> None:
    message = ndef_message([ndef.TextRecord(ALICE_CARD)])
    reads = []
    for n in range(5):
        idm = IDM[:-1] + bytes([n])  # a different card each time, so none is within the same-card guard
        with EmulatedType3Tag(port, idm, message) as card:
            told, tap = taps.next_tap()
            reads.append(told - card.polled_at)
        assert tap.uid.endswith(f"{n:02X}")
    print(f"\nNFC read over udp (card found → on_tap, UID and NDEF), 5 cards: median {statistics.median(reads) * 1000:.1f} ms, "
          f"max {max(reads) * 1000:.1f} ms")
    assert statistics.median(reads) < 0.5


def test_stop_is_prompt_and_closes_the_reader(port: int, taps: Taps) -> None:
    reader = NfcReader(f"udp:127.0.0.1:{port}", taps.on_tap, taps.on_problem, targets=("212F",))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as field:
        field.bind(("127.0.0.1", port))  # where a card would answer; nothing does
        field.settimeout(WAIT)
        reader.start()
        field.recv(4096)  # its poll: it is now sensing for a card that is not there
    started = time.perf_counter()
    reader.stop()
    stopped_in = time.perf_counter() - started

    assert not reader.running
    assert stopped_in < 1.5  # at most one sensing pass: the udp driver waits 1 s for an absent card
    assert taps.problems.empty()


@pytest.mark.parametrize("path", ["usb:1234:5678", "tty:nonexistent", "udp:127.0.0.1:9"])
def test_an_absent_reader_is_reported_once_and_the_thread_ends(path: str, taps: Taps) -> None:
    reader = NfcReader(path, taps.on_tap, taps.on_problem)
    reader.start()
    message = taps.problems.get(timeout=WAIT)
    reader.stop()

    assert not reader.running
    assert path in message and message.endswith("the till goes on without it.")
    assert taps.problems.empty()
    assert taps.taps.empty()


def test_targets_are_checked_when_the_reader_is_made(taps: Taps) -> None:
    with pytest.raises(ValueError, match="212X"):
        NfcReader("udp", taps.on_tap, taps.on_problem, targets=("212X",))


def test_availability_is_told_without_waiting() -> None:
    started = time.perf_counter()
    assert nfc_availability(f"udp:127.0.0.1:{free_udp_port()}") is None
    assert nfc_availability("usb:1234:5678").startswith("No NFC reader at usb:1234:5678")
    assert nfc_availability("tty:nonexistent") == "No NFC reader at tty:nonexistent"
    assert "service name" in nfc_availability("udp:127.0.0.1:9")
    assert "not an NFC reader path" in nfc_availability("udp:localhost:port")
    assert time.perf_counter() - started < 2


def test_simulated_reader_delivers_the_same_tap() -> None:
    taps = Taps()
    reader = SimulatedNfcReader("simulated", taps.on_tap, taps.on_problem)
    reader.start()
    assert reader.running
    reader.tap("01:2e:4c:d1:a2:b3:c4:7d", ndef_text=ALICE_CARD)
    reader.stop()

    _, tap = taps.next_tap()
    assert tap == NfcTap(uid="012E4CD1A2B3C47D", ndef_text=ALICE_CARD, ndef_uri=None)
    assert not reader.running
    with pytest.raises(RuntimeError):
        reader.tap("04F5117DF91705")


@pytest.mark.parametrize(
    ("tap", "method", "value"),
    [
        (NfcTap("04F5117DF91705", ndef_text=" 2991 0000 0001 6 "), "card", ALICE_CARD),
        (NfcTap("04F5117DF91705", ndef_text=ALICE_QR), "qr", ALICE_QR),
        (NfcTap("04F5117DF91705", ndef_text="LQR1.eyJhIjoxfQ.c2ln"), "qr", "LQR1.eyJhIjoxfQ.c2ln"),
        (NfcTap("04F5117DF91705", ndef_uri=f"https://example.com/c/{ALICE_CARD}"), "card", ALICE_CARD),
        (NfcTap("04F5117DF91705", ndef_uri=f"https://example.com/c/{ALICE_CARD}/"), "card", ALICE_CARD),
        (NfcTap("04F5117DF91705", ndef_text="hello", ndef_uri=f"https://example.com/?card={ALICE_CARD}"), "card", ALICE_CARD),
        (NfcTap("04F5117DF91705", ndef_uri="https://example.com/"), "nfc", "04F5117DF91705"),
        (NfcTap("04F5117DF91705", ndef_text="123"), "nfc", "04F5117DF91705"),
        (NfcTap("04F5117DF91705"), "nfc", "04F5117DF91705"),
    ],
)
def test_what_a_tap_identifies(tap: NfcTap, method: str, value: str) -> None:
    identification = tap_identification(tap)
    assert (identification.method, identification.value, identification.source) == (method, value, "nfc")
    assert len(identification.shown) <= 16 and value not in identification.shown
