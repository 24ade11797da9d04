"""The customer displays are driven from a real register on a real service (tests/app's fixtures)."""

from tests.app.conftest import api, cashier  # noqa: F401 - fixtures
