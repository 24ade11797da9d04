"""The README's demo customers are the demo store's (docs/demo-store.md is generated from the seed)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def customer_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and "020 7946" in line]


def test_readme_lists_the_demo_customers_exactly() -> None:
    generated = customer_rows((ROOT / "docs" / "demo-store.md").read_text())
    assert len(generated) == 10
    assert customer_rows((ROOT / "README.md").read_text()) == generated


def test_readme_quick_start_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "./dev cashier" in readme and "./dev test" in readme
    assert "./dev test" in (ROOT / ".ci" / "run").read_text()
