"""The API against its own OpenAPI document (schemathesis, through ASGI): no 5xx, and every
response conforms to the schema (status code, content type, body). Bounded and derandomized:
at most 20 examples per operation, as an authenticated admin with every scope."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from revdesk.auth.model import Scope
from revdesk.db.migrate import upgrade
from revdesk.db.uow import Database
from web_support import bearer, cheap_password_hashing, make_app, sample_company

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _world() -> tuple[Any, dict[str, str]]:
    """The app over the sample company in a throwaway SQLite file, and an admin's token.

    Built when the module is collected: schemathesis reads the OpenAPI document then.
    """
    cheap_password_hashing()
    path = Path(tempfile.mkdtemp(prefix="revdesk-contract-")) / "contract.db"
    db = Database.connect(f"sqlite:///{path}")
    upgrade(db.engine)
    ids, _ = sample_company(db)
    return make_app(db), bearer(db, ids["admin"], Scope.READ, Scope.APPROVE, Scope.ADMIN)


APP, HEADERS = _world()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_contract(case: Any) -> None:
    case.call_and_validate(headers=HEADERS, checks=CHECKS)
