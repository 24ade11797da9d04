"""The sandbox loyalty service training runs against: the reference service with the demo store,
in its own folder (``<data dir>/training/``), never the store's configured service.

The till talks to it through ``LoopbackSwitch``, a relay on loopback that training can cut to
play "the loyalty service went offline mid-sale" and restore later, and that keeps the till's
URL the same when the sandbox starts afresh for the next scenario (on another port).
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import uuid
from datetime import datetime
from pathlib import Path

import httpx

from pos_core.embedded_service import RunningService, start_service


class LoopbackSwitch:
    """A TCP relay on 127.0.0.1 to ``upstream``; ``cut()`` drops every connection and refuses
    new ones until ``restore()``. Runs its own event loop in a thread."""

    def __init__(self, upstream_port: int, *, host: str = "127.0.0.1") -> None:
        self.host = host
        self.upstream_port = upstream_port
        self._cut = False
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._run, name="training-switch", daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or self._server is None:
            raise RuntimeError("the training network switch did not start")
        self.port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://{host}:{self.port}"

    @property
    def is_cut(self) -> bool:
        return self._cut

    def cut(self) -> None:
        self._cut = True
        self._call(self._drop_all)

    def restore(self) -> None:
        self._cut = False

    def retarget(self, upstream_port: int) -> None:
        """Relay new connections to ``upstream_port``; the open ones are dropped."""
        self.upstream_port = upstream_port
        self._call(self._drop_all)

    def close(self) -> None:
        if not self._loop.is_running():
            return

        async def shut() -> None:
            assert self._server is not None
            self._server.close()
            await self._drop_all()

        try:
            asyncio.run_coroutine_threadsafe(shut(), self._loop).result(5)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    def _call(self, coroutine_function) -> None:
        asyncio.run_coroutine_threadsafe(coroutine_function(), self._loop).result(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def serve() -> None:
            self._server = await asyncio.start_server(self._relay, self.host, 0)

        self._loop.run_until_complete(serve())
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _drop_all(self) -> None:
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.upstream_port)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))

        async def pipe(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    target.write(data)
                    await target.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                target.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers.discard(writer)
        self._writers.discard(up_writer)


class Sandbox:
    """The training store: ``start()`` it, point the till at ``url`` with ``api_key``.

    Each ``reset()`` starts the demo store afresh, so every scenario finds the customers as the
    scenario files describe them.
    """

    def __init__(self, root: Path, service: RunningService, switch: LoopbackSwitch) -> None:
        self.root = root
        self.service = service
        self.switch = switch

    @classmethod
    def start(cls, data_dir: Path) -> Sandbox:
        """The sandbox for a till whose data is in ``data_dir``: in ``data_dir/training``."""
        root = data_dir / "training"
        service = _fresh_service(root, secrets.token_urlsafe(24))
        port = int(service.url.rsplit(":", 1)[1])
        try:
            switch = LoopbackSwitch(port)
        except Exception:
            service.stop()
            raise
        return cls(root, service, switch)

    @property
    def url(self) -> str:
        return self.switch.url

    @property
    def api_key(self) -> str:
        return self.service.api_key

    @property
    def results_dir(self) -> Path:
        return self.root / "results"

    @property
    def db_path(self) -> Path:
        return self.root / "service" / "loyalty.db"

    def reset(self) -> None:
        """The demo store as shipped, on a new process; the till's URL stays the same."""
        self.service.stop()
        self.service = _fresh_service(self.root, self.service.api_key)
        self.switch.retarget(int(self.service.url.rsplit(":", 1)[1]))
        self.switch.restore()

    def go_offline(self) -> None:
        self.switch.cut()

    def come_online(self) -> None:
        self.switch.restore()

    # -- what the customer's app does (straight to the service, past the switch) --------------

    def app_code(self, account_id: str, ttl_seconds: int = 300) -> tuple[str, float]:
        """A fresh signed app QR token, as the customer's phone would show it, and when it
        expires (Unix seconds)."""
        data = self._post(f"/v1/accounts/{account_id}/qr-token", {"ttl_seconds": ttl_seconds})
        expires = datetime.fromisoformat(str(data["expires_at"]).replace("Z", "+00:00")).timestamp()
        return str(data["token"]), expires

    def use_code(self, token: str) -> None:
        """The code is used once (e.g. at another till yesterday), so showing it again is a replay."""
        self._post("/v1/identify", {"method": "qr", "value": token})

    # -- what happened before the scenario (its setup) ----------------------------------------

    def record_sale(self, account_id: str, basket: dict[str, int], *, store_id: str, terminal_id: str) -> str:
        """A sale paid in cash for the member ``account_id`` (SKU -> quantity, at the practice
        store's prices), as if made earlier: its id, which its receipt prints as ``R-<id>``."""
        catalog = self._get("/v1/catalog")
        products = {str(p["sku"]): p for p in catalog["products"]}
        lines = []
        for sku, quantity in basket.items():
            product = products.get(sku)
            if product is None:
                raise ValueError(f"the practice store has no product {sku}")
            lines.append({"sku": sku, "name": product["name"], "category": product["category"],
                          "quantity": quantity, "unit_price": product["unit_price"]})
        subtotal = sum(line["quantity"] * line["unit_price"] for line in lines)
        sale_id = str(uuid.uuid4())
        self._post("/v1/sales", {
            "account_id": account_id,
            "store_id": store_id,
            "terminal_id": terminal_id,
            "currency": catalog["currency"],
            "lines": lines,
            "tender": [{"method": "cash", "amount": subtotal}],  # covers the total; the rest is change
        }, idempotency_key=sale_id)
        return sale_id

    def returned(self, sale_id: str) -> dict[str, int]:
        """Units returned so far from sale ``sale_id``, SKU -> units (every return of it)."""
        counts: dict[str, int] = {}
        for line in self._get(f"/v1/sales/{sale_id}/returns")["lines"]:
            counts[str(line["sku"])] = counts.get(str(line["sku"]), 0) + int(line["returned"])
        return counts

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.service.api_key}"}

    def _get(self, path: str) -> dict:
        response = httpx.get(self.service.url + path, headers=self._headers(), timeout=10)
        response.raise_for_status()
        return response.json()

    def _post(self, path: str, body: dict, *, idempotency_key: str | None = None) -> dict:
        headers = self._headers()
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        response = httpx.post(self.service.url + path, json=body, headers=headers, timeout=10)
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        self.switch.close()
        self.service.stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _fresh_service(root: Path, api_key: str) -> RunningService:
    folder = root / "service"
    for name in ("loyalty.db", "loyalty.db-wal", "loyalty.db-shm"):
        (folder / name).unlink(missing_ok=True)
    return start_service(db_path=folder / "loyalty.db", api_key=api_key, log_path=folder / "service.log")
