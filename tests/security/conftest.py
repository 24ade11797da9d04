"""The attack suite: each attack of issue 13 replayed, as measured, against a real service on
both databases (``[sqlite]`` / ``[postgresql]``), and shown refused or harmless.

The fixtures are the service tests' (tests/service/conftest.py): ``service_db`` gives a test its
own empty database on each backend, ``live_service`` a demo-store service on it, ``live_db`` that
service's database, ``api`` a client with the configured key.
"""

from tests.service.conftest import api, live_db, live_service, service_db  # noqa: F401
