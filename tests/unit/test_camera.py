"""The camera reports each showing of a code once, from real video through OpenCV's capture."""

from __future__ import annotations

import functools
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest

import devices.camera
from devices.barcode_decoder import Decoded, ZbarDecoder, ZxingDecoder
from devices.camera import CameraSource, camera_availability
from devices.decode_file import UnreadableFile, decode_file
from devices.repeat_filter import RepeatFilter
from devices.simulated_camera import SimulatedCamera
from tests.unit.barcode_images import SAMPLE_TEXT, frame, write_video

ALICE = (SAMPLE_TEXT["qr"], "qr")
CARD = (SAMPLE_TEXT["ean13"], "ean13")
FPS = 10.0

# At 10 frames a second: Alice's QR, briefly away and back (one read), her card (a different
# code), her QR again (read again), away 3.5 s (longer than repeat_after), her QR once more.
SCRIPT = [(ALICE, 15), (None, 5), (ALICE, 5), (CARD, 10), (ALICE, 5), (None, 35), (ALICE, 5)]
EXPECTED = [Decoded("qr", ALICE[0]), Decoded("ean13", CARD[0]), Decoded("qr", ALICE[0]), Decoded("qr", ALICE[0])]


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_video(tmp_path_factory.mktemp("video") / "counter.avi", SCRIPT, fps=FPS)


class Recorder:
    """The app's side of the callbacks: what arrived, on which thread."""

    def __init__(self) -> None:
        self.reads: list[Decoded] = []
        self.problems: list[str] = []
        self.threads: set[str] = set()

    def on_read(self, code: Decoded) -> None:
        self.threads.add(threading.current_thread().name)
        self.reads.append(code)

    def on_problem(self, text: str) -> None:
        self.threads.add(threading.current_thread().name)
        self.problems.append(text)


def run_until_ended(camera: CameraSource, timeout: float = 15.0) -> None:
    camera.start()
    deadline = time.monotonic() + timeout
    while camera.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not camera.running, "the camera thread should end by itself"


# --- RepeatFilter, with explicit timestamps -------------------------------------------------


def test_a_code_held_up_for_ten_seconds_is_one_read() -> None:
    repeats = RepeatFilter(3.0)
    reported = [t for t in range(100) if repeats.admit("A", t / 10)]
    assert reported == [0]


def test_a_code_is_read_again_only_after_being_away_repeat_after_seconds() -> None:
    repeats = RepeatFilter(3.0)
    assert repeats.admit("A", 0.0)
    assert not repeats.admit("A", 1.0)
    assert not repeats.admit("A", 3.99)  # away 2.99 s since 1.0
    assert repeats.admit("A", 7.0)  # away 3.01 s since 3.99
    assert not repeats.admit("A", 7.1)


def test_a_different_code_in_between_makes_the_first_a_new_read() -> None:
    repeats = RepeatFilter(3.0)
    assert [repeats.admit(code, t) for code, t in [("A", 0.0), ("B", 0.1), ("A", 0.2), ("A", 0.3)]] == [True, True, True, False]


def test_two_codes_on_the_same_frames_are_each_read_once() -> None:
    repeats = RepeatFilter(3.0)
    assert repeats.feed(["A", "B", "A"], 0.0) == ["A", "B"]
    assert repeats.feed(["B", "A"], 0.1) == []
    assert repeats.feed(["A"], 0.2) == []  # B missed on one frame, as decoders do
    assert repeats.feed(["A", "B"], 0.3) == []
    assert repeats.feed(["C"], 0.4) == ["C"]
    assert repeats.feed(["A", "B"], 0.5) == ["A", "B"]


def test_reset_and_bad_settings() -> None:
    repeats = RepeatFilter(3.0)
    assert repeats.admit("A", 0.0)
    repeats.reset()
    assert repeats.admit("A", 0.1)
    with pytest.raises(ValueError):
        RepeatFilter(-1)


# --- CameraSource on real video through OpenCV ----------------------------------------------


def test_a_video_reports_each_showing_once(video: Path) -> None:
    seen = Recorder()
    camera = CameraSource(str(video), ZxingDecoder(), seen.on_read, seen.on_problem, repeat_after=3.0)
    run_until_ended(camera)
    assert seen.reads == EXPECTED
    assert seen.problems == []  # the end of a file is not a problem
    assert seen.threads == {f"camera file {video}"}  # callbacks come from the camera's own thread


def test_stop_ends_the_thread_and_reads_nothing_more(video: Path) -> None:
    seen = Recorder()
    camera = CameraSource(video.as_posix(), ZxingDecoder(), seen.on_read, seen.on_problem)
    camera.start()
    camera.stop()
    assert not camera.running
    assert len(seen.reads) <= len(EXPECTED) and seen.problems == []


@pytest.mark.parametrize(
    ("source", "words"),
    [
        (97, "The camera (device 97) cannot be opened: there is no /dev/video97"),
        ("97", "The camera (device 97) cannot be opened: there is no /dev/video97"),
        ("/nowhere/counter.avi", "The camera (file /nowhere/counter.avi) cannot be opened: there is no such file"),
    ],
)
def test_a_missing_camera_is_one_plain_problem_and_the_thread_ends(source: int | str, words: str) -> None:
    seen = Recorder()
    run_until_ended(CameraSource(source, ZxingDecoder(), seen.on_read, seen.on_problem))
    assert len(seen.problems) == 1
    assert seen.problems[0].startswith(words)
    assert seen.problems[0].endswith("; the till goes on without it.")
    assert seen.reads == []


@pytest.fixture
def http_stream(video: Path) -> Iterator[str]:
    """The video served once over HTTP: a network camera that stops sending after 8 s of video."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(video.parent))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://viewer:secret@127.0.0.1:{server.server_address[1]}/{video.name}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_stream_that_stops_sending_is_one_problem(http_stream: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devices.camera, "STALL_SECONDS", 0.3)
    seen = Recorder()
    run_until_ended(CameraSource(http_stream, ZxingDecoder(), seen.on_read, seen.on_problem, repeat_after=0.5))
    assert seen.reads[:2] == EXPECTED[:2]  # live time, so repeats depend on decode speed
    assert len(seen.problems) == 1
    assert seen.problems[0].startswith("The camera (stream http://127.0.0.1:")
    assert "stopped sending pictures; the till goes on without it." in seen.problems[0]
    assert "secret" not in seen.problems[0]


def test_camera_availability(video: Path) -> None:
    assert camera_availability(str(video)) is None
    assert "there is no /dev/video97" in (camera_availability(97) or "")
    assert "there is no such file" in (camera_availability("/nowhere.avi") or "")


# --- SimulatedCamera ------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_simulated_camera_goes_through_the_same_repeat_filter() -> None:
    seen, clock = Recorder(), Clock()
    camera = SimulatedCamera(ZxingDecoder(), seen.on_read, seen.on_problem, clock=clock)
    assert not camera.show(*ALICE)  # not started: a camera that is off sees nothing
    camera.start()
    assert [camera.show(*ALICE) for _ in range(3)] == [True, False, False]
    clock.now = 1.0
    assert camera.show(*CARD) and camera.show(*ALICE)
    clock.now = 2.0
    assert not camera.show(*ALICE)
    clock.now = 5.5
    assert camera.show(*ALICE)
    assert seen.reads == EXPECTED and seen.problems == []
    camera.stop()
    assert not camera.running and not camera.show(*CARD)


def test_simulated_camera_sees_only_what_its_decoder_reads() -> None:
    seen = Recorder()
    camera = SimulatedCamera(ZbarDecoder(), seen.on_read, seen.on_problem)
    camera.start()
    assert not camera.show(SAMPLE_TEXT["pdf417"], "pdf417")
    assert camera.show(SAMPLE_TEXT["code128"], "code128")
    with pytest.raises(ValueError, match="unknown barcode format"):
        camera.show("x", "datamatrix")
    assert seen.reads == [Decoded("code128", SAMPLE_TEXT["code128"])]


# --- decode_file ----------------------------------------------------------------------------


def test_decode_file_on_an_image(tmp_path: Path) -> None:
    path = tmp_path / "pass.png"
    cv2.imwrite(str(path), frame(SAMPLE_TEXT["pdf417"], "pdf417", angle=90.0, color=True))
    assert list(decode_file(path, ZxingDecoder())) == [{"format": "pdf417", "text": SAMPLE_TEXT["pdf417"], "frame": 0}]


def test_decode_file_on_a_video_reports_each_showing_with_its_frame(video: Path) -> None:
    assert list(decode_file(video, ZxingDecoder())) == [
        {"format": "qr", "text": ALICE[0], "frame": 0},
        {"format": "ean13", "text": CARD[0], "frame": 25},
        {"format": "qr", "text": ALICE[0], "frame": 35},
        {"format": "qr", "text": ALICE[0], "frame": 75},
    ]


def test_decode_file_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    with pytest.raises(UnreadableFile, match="not an image or a video"):
        decode_file(notes, ZxingDecoder())
    with pytest.raises(UnreadableFile, match="no such file"):
        decode_file(tmp_path / "missing.png", ZxingDecoder())
