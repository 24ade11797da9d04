"""A device's blocking loop in a daemon thread of its own: the shape the camera and NFC reader share.

``start()`` returns at once and ``stop()`` waits for the loop to end (except when called from the
loop's own callbacks). Subclasses write ``_run`` and watch ``_stopping``.
"""

from __future__ import annotations

import threading


class ReaderThread:
    def __init__(self, thread_name: str) -> None:
        self._thread_name = thread_name
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        raise NotImplementedError
