"""A loopback HTTP proxy in front of the real service that fails chosen sales with a 5xx.

Unlike ``fault_proxy`` (which breaks whole connections at random), this one reads each request:
a ``POST /v1/sales`` (or ``/v1/anonymous-sales``) whose Idempotency-Key is in ``failing`` is answered by the gate itself
with that status (and optional headers), and never reaches the service; every other request
is forwarded unchanged and the service's answer is passed back. ``answered`` counts, per sale
id, what the gate did with each attempt, so a test can wait for a condition on it;
``delivered`` lists the sales the service accepted, in order.

A ``POST /v1/sales/batch`` that holds a failing sale is answered by the gate as a whole with that
sale's status (as a proxy failing the request would); any other batch is forwarded, and each of
its sales counted as a single sale would be.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

# The routes that take one sale, its id the Idempotency-Key.
_SINGLE_SALES = ("/v1/sales", "/v1/anonymous-sales")
# Headers http.server writes itself or that describe the upstream connection, not the answer.
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}


class SaleGate:
    def __init__(self, upstream: str) -> None:
        self.upstream = httpx.Client(base_url=upstream, timeout=10)
        # sale id -> (status, extra headers) the gate answers instead of the service
        self.failing: dict[str, tuple[int, dict[str, str]]] = {}
        self.answered: defaultdict[str, list[int]] = defaultdict(list)
        self.delivered: list[str] = []  # sale ids in the order the service accepted them
        self.requests: Counter[str] = Counter()  # "POST /v1/sales/batch" -> how many came
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="sale-gate", daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail(self, sale_id: str, status: int = 500, **headers: str) -> None:
        with self._lock:
            self.failing[sale_id] = (status, {name.replace("_", "-"): value for name, value in headers.items()})

    def heal(self, sale_id: str) -> None:
        with self._lock:
            self.failing.pop(sale_id, None)

    def attempts(self, sale_id: str) -> list[int]:
        with self._lock:
            return list(self.answered[sale_id])

    def requests_to(self, what: str) -> int:
        with self._lock:
            return self.requests[what]

    def delivered_in_order(self) -> list[str]:
        with self._lock:
            return list(self.delivered)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self.upstream.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gate = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                sale_id = self.headers.get("idempotency-key")
                with gate._lock:
                    gate.requests[f"{self.command} {self.path}"] += 1
                batched = _batched_ids(body) if self.command == "POST" and self.path == "/v1/sales/batch" else []
                single = self.command == "POST" and self.path in _SINGLE_SALES
                sale_ids = batched or ([sale_id] if single else [])
                with gate._lock:
                    refusal = next((gate.failing[s] for s in sale_ids if s in gate.failing), None)
                if refusal is not None:
                    status, extra = refusal
                    with gate._lock:
                        for refused in sale_ids:
                            if refused in gate.failing:  # the others in its batch were not tried
                                gate.answered[refused].append(status)
                    self._send(status, {"content-type": "application/json", **extra},
                               json.dumps({"error": {"code": "internal", "message": "the gate failed it"}}).encode())
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS | {"host"}}
                upstream = gate.upstream.request(self.command, self.path, content=body, headers=headers)
                if sale_id and single:
                    with gate._lock:
                        gate.answered[sale_id].append(upstream.status_code)
                        if upstream.is_success:
                            gate.delivered.append(sale_id)
                elif batched and upstream.status_code == 200:
                    with gate._lock:
                        for result in upstream.json()["results"]:
                            gate.answered[result["sale_id"]].append(result["status"])
                            if result["status"] == 201:
                                gate.delivered.append(result["sale_id"])
                kept = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_HEADERS | {"content-encoding"}}
                self._send(upstream.status_code, kept, upstream.content)

            def _send(self, status: int, headers: dict[str, str], content: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_DELETE = _answer

        return Handler


def _batched_ids(body: bytes) -> list[str]:
    try:
        return [str(sale["sale_id"]) for sale in json.loads(body)["sales"]]
    except (ValueError, KeyError, TypeError):
        return []
