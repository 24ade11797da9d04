"""A Type 3 (FeliCa) NFC tag emulated with nfcpy's own card mode over its udp driver, for tests.

The reader under test opens ``udp:127.0.0.1:<port>`` and talks to this tag exactly as it would to
one on a USB reader; only the radio is replaced by loopback datagrams. The tag memory follows the
NFC Forum Type 3 Tag mapping: a 16-byte attribute block, then the NDEF message (nfcpy's
examples/tagtool.py ``emulate`` builds the same).
"""

from __future__ import annotations

import errno
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable

import ndef
import nfc
import nfc.clf

NDEF_SYSTEM = bytes.fromhex("12FC")
# All-FF PMm: no Sony IC code (so nfcpy treats it as a plain Type 3 Tag) and the longest command
# timeouts, which a loaded CI machine may need.
PMM = bytes.fromhex("FFFFFFFFFFFFFFFF")
NDEF_READ_SERVICE, NDEF_WRITE_SERVICE = 0x000B, 0x0009
STEP = 0.05  # how soon a tag taken away (stop()) stops answering


def free_udp_port() -> int:
    """A loopback UDP port nothing uses and that has no name in /etc/services.

    nfcpy's udp driver turns the port into text with getnameinfo, which answers a named port
    (9 -> "discard") by its name, which the driver then cannot read back as a number.
    """
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        try:
            socket.getservbyport(port, "udp")
        except OSError:
            return port
    raise RuntimeError("no unnamed free UDP port on loopback")


def ndef_message(records: Iterable[ndef.Record]) -> bytes:
    return b"".join(ndef.message_encoder(list(records)))


def type3_memory(message: bytes) -> bytearray:
    """Attribute block (NFC Forum Type 3 Tag 1.0, read 4 blocks at once) followed by the message."""
    data_blocks = max(1, (len(message) + 15) // 16)
    attributes = bytearray(16)
    attributes[0] = 0x10  # mapping version 1.0
    attributes[1] = 4  # blocks per read
    attributes[2] = 1  # blocks per write
    attributes[3:5] = struct.pack(">H", data_blocks)
    attributes[9] = 0x00  # no write in progress
    attributes[10] = 0x00  # read only: the reader never needs to write
    attributes[11:14] = struct.pack(">I", len(message))[1:]
    attributes[14:16] = struct.pack(">H", sum(attributes[:14]))
    return attributes + bytearray(message) + bytearray(data_blocks * 16 - len(message))


class EmulatedType3Tag:
    """A tag held on the reader from ``start()`` (or ``with``) until ``stop()``: that is "removed".

    ``message`` is the NDEF message; None is a tag with no NDEF data area at all (unformatted).
    It keeps answering the reader's polls while held, so the reader sees one long presentation.
    ``leaves_after_blocks``: the tag is pulled away (falls silent) once it has sent that many
    blocks, for a read cut short.
    """

    def __init__(
        self,
        port: int,
        idm: bytes,
        message: bytes | None,
        *,
        leaves_after_blocks: int | None = None,
        deadline: float = 20.0,
    ) -> None:
        if len(idm) != 8:
            raise ValueError("a FeliCa IDm is 8 bytes")
        self.port = port
        self.idm = idm
        self.memory = None if message is None else type3_memory(message)
        self.deadline = deadline  # bounds the thread even if a test forgets stop()
        self.leaves_after_blocks = leaves_after_blocks
        self.blocks_sent = 0
        self.activations = 0
        self.polled_at: float | None = None  # perf_counter of the poll that found it…
        self.activated_at: float | None = None  # … and of the reader's first command after
        self._stopping = threading.Event()
        self._listening = threading.Event()  # bound to its port: the reader can see it
        self._thread: threading.Thread | None = None

    def __enter__(self) -> EmulatedType3Tag:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._stopping.clear()
        self._listening.clear()
        self._thread = threading.Thread(target=self._run, name=f"emulated-tag-{self.port}", daemon=True)
        self._thread.start()
        if not self._listening.wait(5):
            raise RuntimeError("the emulated tag did not start listening")

    @property
    def gone(self) -> bool:
        """Out of the field: stopped, or pulled away mid-read."""
        return self._stopping.is_set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise RuntimeError("the emulated tag did not stop")

    def _run(self) -> None:
        give_up = time.monotonic() + self.deadline
        taken_away = lambda: self._stopping.is_set() or time.monotonic() > give_up  # noqa: E731
        clf = nfc.ContactlessFrontend(f"udp:127.0.0.1:{self.port}")
        _adapt_for_tests(clf.device, taken_away, self._listening, self._note_polled)
        try:
            while not taken_away():
                # A long listen: nfcpy's udp listen gives up mid-handshake when its time runs out,
                # losing the reader's first command; stop() does not wait for it (see below).
                clf.connect(
                    card={"on-startup": self._on_startup, "on-connect": self._on_connect, "timeout": 30.0},
                    terminate=taken_away,
                )
        finally:
            clf.close()

    def _note_polled(self) -> None:
        if self.activated_at is None:
            self.polled_at = time.perf_counter()

    def _on_startup(self, target: nfc.clf.LocalTarget) -> nfc.clf.LocalTarget:
        target.brty = "212F"
        target.sensf_res = b"\x01" + self.idm + PMM + NDEF_SYSTEM
        return target

    def _on_connect(self, tag: nfc.tag.tt3.Type3TagEmulation) -> bool:
        self.activations += 1
        if self.activated_at is None:
            self.activated_at = time.perf_counter()
        if self.memory is not None:
            tag.add_service(NDEF_READ_SERVICE, self._read_block, None)
            tag.add_service(NDEF_WRITE_SERVICE, self._read_block, None)
        return True

    def _read_block(self, number: int, rb: bool, re: bool) -> bytes | None:
        assert self.memory is not None
        if self.leaves_after_blocks is not None and self.blocks_sent >= self.leaves_after_blocks:
            self._stopping.set()  # nfcpy checks this before sending the answer, so none is sent
            return None
        self.blocks_sent += 1
        if number < len(self.memory) // 16:
            return bytes(self.memory[number * 16 : (number + 1) * 16])
        return None


def _adapt_for_tests(
    device: nfc.clf.udp.Device, taken_away: Callable[[], bool], bound: threading.Event, polled: Callable[[], None]
) -> None:
    """Two changes to the tag side of nfcpy's udp driver (the reader side is left as it is).

    It binds 0.0.0.0, and a test tag has no business on other interfaces: bind loopback only, and
    say when it is bound, so a test lays the card down only once the reader can see it. And it
    waits for the reader with no way to stop it: wait in short steps, and when the tag is taken
    away answer as if the reader fell silent, which ends both listening and an activation.
    It also notes when the reader's first poll arrives, for timing a read.
    """
    receive = device._recv_data

    def bind(time_to_return: float) -> bool:
        try:
            device.socket.bind(("127.0.0.1", device.addr[1]))
        except OSError as error:
            if device.socket.getsockname()[1] != device.addr[1]:
                if error.errno == errno.EADDRINUSE:
                    return False  # as nfcpy's own: someone else listens there
                raise
        bound.set()
        return True

    def receive_unless_taken_away(timeout: float | None, *brty_list: str) -> tuple:
        until = None if timeout is None else time.monotonic() + timeout
        while not taken_away():
            step = STEP if until is None else min(STEP, until - time.monotonic())
            if step <= 0:
                break
            try:
                brty, data, addr = receive(step, *brty_list)
            except nfc.clf.TimeoutError:
                continue
            if data.startswith(b"\x06\x00"):  # a FeliCa poll (SENSF_REQ)
                polled()
            return brty, data, addr
        raise nfc.clf.TimeoutError("no data received")

    device._bind_socket = bind
    device._recv_data = receive_unless_taken_away
