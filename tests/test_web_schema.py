"""Schemathesis against /openapi.json: generated requests to every operation, no server error.

The app runs in-process on a fresh SQLite store with an administrator's API token, so the
generated requests reach the write endpoints' validation and workflow code, not only the
log-in check. The one check is that no answer is a 5xx.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from test_web_support import SYSTEM, make_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    _FOLDER = Path(tempfile.mkdtemp(prefix="mic2025-schema-"))

pytestmark = pytest.mark.slow  # the whole module (conftest.SLOW_MODULES skips importing it)

APP = make_app(f"sqlite:///{_FOLDER / 'store.sqlite'}")


def _admin_token() -> str:
    from mic2025.services import accounts

    engine = APP.state.platform.engine
    accounts.create_user(engine, SYSTEM, "fuzz-admin", "fuzz-admin-password",
                         [accounts.parse_grant("admin")])
    return accounts.create_token(engine, SYSTEM, "fuzz-admin", "schemathesis")


TOKEN = _admin_token()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.mark.slow  # 25 generated requests to each of the API's operations
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_with_a_server_error(case: schemathesis.Case) -> None:
    # the document downloads (mid-term, final evaluation) write a Word or PDF file of 20–30
    # pages on their first request: longer than the client's default 10 s on a busy machine
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"},
                           checks=[not_a_server_error], timeout=180)
