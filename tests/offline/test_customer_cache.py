"""The customer cache: enough to serve a customer offline, no raw numbers, rebuilt when damaged."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from pos_core import customer_cache
from pos_core.customer_cache import CustomerCache

SUMMARY = {"account_id": "acc_1", "display_name": "Alice S.", "currency": "GBP", "balance": 640,
           "balance_as_of": "2026-11-22T10:00:00Z", "tier": {"name": "Silver", "multiplier": "1.25"},
           "next_reward": None, "rewards_available": [], "email": "alice@example.com", "birth_date": "1990-01-01"}


def test_remembers_by_method_and_value_without_storing_them(tmp_path: Path) -> None:
    cache = CustomerCache(tmp_path / "cache.db")
    cache.remember("phone", "+442079460001", SUMMARY)
    cache.remember("card", "2991000000016", SUMMARY)
    assert cache.recall("phone", "+442079460001").document["display_name"] == "Alice S."
    assert cache.recall("card", "2991000000016").document["balance"] == 640
    assert cache.recall("phone", "+442079460002") is None
    assert cache.recall("card", "+442079460001") is None  # the method is part of the key
    cache.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("cache.db"))
    for secret in (b"2079460001", b"2991000000016", b"alice@example.com", b"1990-01-01"):
        assert secret not in raw


def test_too_old_entries_are_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_800_000_000.0]
    monkeypatch.setattr(customer_cache, "time", SimpleNamespace(time=lambda: now[0]))
    cache = CustomerCache(tmp_path / "cache.db", max_age_seconds=60)
    cache.remember("phone", "+442079460001", SUMMARY)
    now[0] += 59
    assert cache.recall("phone", "+442079460001") is not None
    now[0] += 2
    assert cache.recall("phone", "+442079460001") is None


def test_balance_follows_confirmed_sales(tmp_path: Path) -> None:
    cache = CustomerCache(tmp_path / "cache.db")
    cache.remember("phone", "+442079460001", SUMMARY)
    cache.update_balance("acc_1", 700, "2026-11-22T11:00:00Z")
    assert cache.recall("phone", "+442079460001").document["balance"] == 700


def test_a_damaged_cache_is_rebuilt_and_the_key_kept(tmp_path: Path) -> None:
    cache = CustomerCache(tmp_path / "cache.db")
    cache.remember("phone", "+442079460001", SUMMARY)
    cache.close()
    key = (tmp_path / "cache-key").read_text()
    assert oct((tmp_path / "cache-key").stat().st_mode & 0o777) == "0o600"
    (tmp_path / "cache.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    rebuilt = CustomerCache(tmp_path / "cache.db")
    assert rebuilt.rebuilt
    assert rebuilt.recall("phone", "+442079460001") is None
    rebuilt.remember("phone", "+442079460001", SUMMARY)
    assert rebuilt.recall("phone", "+442079460001") is not None
    assert (tmp_path / "cache-key").read_text() == key


def test_documents_are_kept_for_a_start_while_offline(tmp_path: Path) -> None:
    cache = CustomerCache(tmp_path / "cache.db")
    cache.remember_document("program", {"currency": "GBP"})
    assert CustomerCache(tmp_path / "cache.db").recall_document("program") == {"currency": "GBP"}
