"""Several service processes on one database answer as one service: what a request relies on is
in the database, not in a process (issue 15). Three processes on PostgreSQL, two on SQLite
(conftest.py); requests spread over them as a load balancer would spread a chain's tills."""

from __future__ import annotations

import json
import uuid
from contextlib import ExitStack
from itertools import cycle

import httpx
from httpx_sse import connect_sse

from tests.chain.conftest import Chain
from tests.security.at_once import at_once, outcomes
from tests.service.api_calls import ALICE_ID, ALICE_PHONE, balance, error_code, identify, line, sale_body
from tests.service.stored import rows
from tests.service.test_chain_security import add_key, management
from tests.service.test_events import adjust
from tests.waiting import wait_until


def spread(clients: list[httpx.Client], count: int) -> list[httpx.Client]:
    """``count`` clients, taking each process in turn."""
    return [client for client, _ in zip(cycle(clients), range(count))]


def test_a_sale_sent_at_once_to_every_process_is_credited_once(chain: Chain) -> None:
    with ExitStack() as stack:
        clients = chain.clients(stack)
        before = balance(clients[0], ALICE_ID)
        body = sale_body(clients[0], ALICE_ID, [line(clients[0], "1005", 3)])
        sale_id = str(uuid.uuid4())
        answers = at_once([lambda client=client: client.post("/v1/sales", json=body, headers={"Idempotency-Key": sale_id})
                           for client in spread(clients, 4 * len(clients))])
        assert {answer.status_code for answer in answers} == {201}
        assert sum(answer.headers.get("Idempotent-Replayed") != "true" for answer in answers) == 1
        assert len({answer.text for answer in answers}) == 1  # every replay is the first answer
        earned = answers[0].json()["points_earned"]
        assert earned > 0
        for client in clients:
            assert balance(client, ALICE_ID) == before + earned
    assert rows(chain.db, "SELECT COUNT(*) FROM ledger WHERE sale_id = ?", (sale_id,)) == [(1,)]


def test_a_key_revoked_is_refused_by_every_process_within_five_seconds(chain: Chain) -> None:
    key = add_key(chain.db, "store-north", f"till-revoked-{chain.backend}")
    key_id = next(json.loads(line)["key_id"] for line in management("list-keys", "--db", str(chain.db)).stdout.splitlines()
                  if json.loads(line)["terminal_id"] == f"till-revoked-{chain.backend}")
    with ExitStack() as stack:
        tills = chain.clients(stack, key)
        assert [till.get("/v1/health").status_code for till in tills] == [200] * len(tills)  # each remembers it
        revoked = management("revoke-key", "--db", str(chain.db), "--key-id", key_id)
        assert revoked.returncode == 0, revoked.stderr
        wait_until(lambda: all(till.get("/v1/health").status_code == 401 for till in tills), timeout=5.0,
                   interval=0.05, what="every process refuses the revoked key")
        assert [error_code(till.get("/v1/health")) for till in tills] == [(401, "unauthorized")] * len(tills)


def test_the_unknown_lookup_limit_holds_across_processes(chain: Chain) -> None:
    key = add_key(chain.db, "store-north", f"till-lookups-{chain.backend}")
    with ExitStack() as stack:
        tills = chain.clients(stack, key)
        misses = [lambda till=till, n=n: identify(till, "phone", f"020 7946 07{n:02d}")
                  for n, till in enumerate(spread(tills, 40))]
        assert outcomes(at_once(misses)) == {(404, "unknown_customer"): 30, (429, "rate_limited"): 10}
        for till in tills:  # the budget is spent on every process, known numbers too
            assert error_code(identify(till, "phone", ALICE_PHONE)) == (429, "rate_limited")


def test_the_wrong_pin_limit_holds_across_processes(chain: Chain) -> None:
    key = add_key(chain.db, "store-north", f"till-pins-{chain.backend}")
    with ExitStack() as stack:
        tills = chain.clients(stack, key)
        assert identify(tills[0], "phone", ALICE_PHONE).status_code == 200  # served here: seen by every process
        before = balance(tills[-1], ALICE_ID)
        guesses = [lambda till=till, n=n: adjust(till, ALICE_ID, 1000, manager_pin=f"{100000 + n:06d}")
                   for n, till in enumerate(spread(tills, 40))]
        assert outcomes(at_once(guesses)) == {(403, "wrong_manager_pin"): 5, (429, "rate_limited"): 35}
        for till in tills:  # the right PIN too, for a while, on every process
            assert error_code(adjust(till, ALICE_ID, 1000)) == (429, "rate_limited")
        assert balance(tills[-1], ALICE_ID) == before


def test_an_event_written_by_one_process_reaches_a_till_streaming_from_another(chain: Chain) -> None:
    with ExitStack() as stack:
        writer, *others = chain.clients(stack)
        streamer = others[-1]
        with connect_sse(streamer, "GET", "/v1/events", params={"account_id": ALICE_ID},
                         timeout=httpx.Timeout(10.0)) as source:
            frames = source.iter_sse()
            start = next(frames)  # the stream's first frame: where it starts, no data
            assert start.data == "" and start.id.startswith(f"{ALICE_ID}:")
            made = adjust(writer, ALICE_ID, 7)
            assert made.status_code == 201, made.text
            event = next(frame for frame in frames if frame.data)
        data = json.loads(event.data)
        assert (event.event, data["delta"], data["cause"]) == ("balance_changed", 7, "adjustment")
        assert int(event.id.rpartition(":")[2]) == int(start.id.rpartition(":")[2]) + 1


def test_a_batch_replayed_to_another_process_changes_nothing(chain: Chain) -> None:
    """A till resends a whole batch when its answer is lost, and the load balancer may send it to
    another process: every sale is answered as the first time, marked replayed, credited once."""
    with ExitStack() as stack:
        clients = chain.clients(stack)
        first, other = clients[0], clients[-1]
        before = balance(first, ALICE_ID)
        sales = [sale_body(first, ALICE_ID, [line(first, "1005", n)]) | {"sale_id": str(uuid.uuid4())}
                 for n in (1, 2, 3)]
        sent = first.post("/v1/sales/batch", json={"sales": sales})
        assert sent.status_code == 200, sent.text
        results = sent.json()["results"]
        assert [(r["sale_id"], r["status"], r["replayed"]) for r in results] == [
            (sale["sale_id"], 201, False) for sale in sales]
        earned = sum(r["body"]["points_earned"] for r in results)
        assert earned > 0 and balance(other, ALICE_ID) == before + earned
        again = other.post("/v1/sales/batch", json={"sales": sales})
        assert again.status_code == 200, again.text
        replayed = again.json()["results"]
        assert [(r["status"], r["replayed"]) for r in replayed] == [(201, True)] * len(sales)
        assert [r["body"] for r in replayed] == [r["body"] for r in results]
        for client in clients:
            assert balance(client, ALICE_ID) == before + earned
    for sale in sales:
        assert rows(chain.db, "SELECT COUNT(*) FROM ledger WHERE sale_id = ?", (sale["sale_id"],)) == [(1,)]
