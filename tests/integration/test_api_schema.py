"""Every operation of the node's OpenAPI description, fuzzed in process by schemathesis.

Why: the API promises never to answer 500 (a client's mistake is a 4xx problem naming
the field) and to answer what its description says (statuses, media types, schemas),
so a client generated from /openapi.json can trust it.  Schemathesis reads the node's
own description and sends schema-valid and schema-violating requests to every
operation, REST and TAXII, as an analyst and as an admin of an agency that holds data,
on a SQLite node loaded with a small generated scenario.

Deterministic (Hypothesis derandomised, no example database) and bounded by a few
examples per operation.  Path parameters are real ids, so the reads reach the data
instead of stopping at 404; out-of-range ids are tested in test_api_core.  Not
checked: that every schema-valid request is accepted (`positive_data_acceptance`),
since whether a string is an identifier, a TLP level or a STIX bundle, or a `top`
within this node's limit, is the node's to decide and the schema cannot say.  That
every schema-violating one is refused is checked: request bodies are strict
(`bersama.api.deps.StrictBody`), so `false` is no integer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import select

from bersama.api.app import create_app
from bersama.config import Settings
from bersama.federation.collections import SHARED
from bersama.store.apitokens import create_token
from bersama.store.db import make_engine, migrate
from bersama.store.identities import add_user
from bersama.store.review import enqueue
from bersama.store.tables.core import ingest_batches, reports
from bersama.synth import generate, write
from bersama.synth.load import load

NOW = datetime(2026, 11, 1, tzinfo=UTC)
AGENCY = "ID-POLRI"  # holds reports in the scenario of seed 2026
Api = tuple[Any, dict[str, str], dict[str, Any]]
UNDECIDABLE = [positive_data_acceptance]
"""The check the schema cannot decide for this node (see the module docstring)."""


@pytest.fixture(params=["analyst", "admin"])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    """The node's schema loaded from the app, the caller's Authorization header, and
    ids of things the node holds."""
    role: str = request.param
    node = Settings(environment="test", data_dir=tmp_path / "data",
                    database_url=f"sqlite:///{tmp_path / 'bersama.db'}",
                    public_check_enabled=True, check_rate_per_minute=0,
                    public_check_rate_per_minute=0, auth_failures_per_minute=0)
    engine = make_engine(node.effective_database_url)
    migrate(engine)
    write(generate(2026, 150), tmp_path / "scenario")
    load(engine, node, tmp_path / "scenario")
    with engine.begin() as c:
        add_user(c, email=f"{role}@{AGENCY}", agency=AGENCY, role=role, now=NOW)
        token = create_token(c, now=NOW, user=f"{role}@{AGENCY}", expires=None)[1]
        item = enqueue(c, agency=AGENCY, text="transfer RM5000 now to avoid arrest", source="t",
                       result={"band": "likely", "probability": 0.9, "language": "en",
                               "model_version": "test"})
        report, cluster = c.execute(select(reports.c.stix_id, reports.c.cluster_id)
                                    .where(reports.c.agency == AGENCY).limit(1)).one()
        batch = c.execute(select(ingest_batches.c.id)
                          .where(ingest_batches.c.agency == AGENCY).limit(1)).scalar_one()
    ids = {"cluster_id": cluster, "report_id": report, "object_id": report, "batch_id": batch,
           "item_id": item, "collection_id": SHARED.id}
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(node, engine))
    yield schema, {"Authorization": f"Bearer {token}"}, ids
    shutdown_lifespans()  # schemathesis runs the app's lifespan until asked to stop
    engine.dispose()


def test_every_operation_answers_as_described_and_never_5xx(api: Api) -> None:
    schema, auth, ids = api
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:
        held = {k: v for k, v in ids.items() if f"{{{k}}}" in operation.path}
        cases = st.one_of(*(operation.as_strategy(mode, path_parameters=held)
                            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)))

        @given(case=cases)
        @settings(max_examples=8, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        def answers_as_described(case: Case) -> None:
            case.call_and_validate(headers=auth, excluded_checks=UNDECIDABLE)

        answers_as_described()
