"""``instance_of``: every conformance test runs once in memory and once through the database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context

from apps.engine.runtime.interpreter import ServiceHandler
from tests.conftest import TenantInfo
from tests.engine.runtime.harness import Instance, InstanceOf, StoredInstance, load, spy_on_written_steps


def _runs_in_the_database(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("instance_of") == "database"


@pytest.fixture(scope="session")
def platform_for_database_runs(request: pytest.FixtureRequest) -> None:
    """Provision the platform up front when a database variant is about to run.

    The database variant asks for tenant alpha only once its test's transaction is open; were
    the session's platform provisioned then, the rollback would take its schemas with it.
    """
    if any(_runs_in_the_database(item) for item in request.session.items):
        request.getfixturevalue("platform")


@pytest.fixture(params=["memory", pytest.param("database", marks=pytest.mark.django_db)])
def instance_of(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, platform_for_database_runs: None
) -> Iterator[InstanceOf]:
    """Make instances of a model file: in memory (no database access at all), or through the
    service layer in tenant alpha, rolled back after the test like every test that uses ``db``."""
    if request.param == "memory":

        def in_memory(name: str, handlers: dict[str, ServiceHandler] | None = None) -> Instance:
            return Instance(load(name), handlers=handlers if handlers is not None else {})

        yield in_memory
        return

    alpha: TenantInfo = request.getfixturevalue("alpha")
    written = spy_on_written_steps(monkeypatch)

    def stored(name: str, handlers: dict[str, ServiceHandler] | None = None) -> StoredInstance:
        return StoredInstance(name, written, handlers)

    with schema_context(alpha.schema):
        yield stored


@pytest.fixture
def in_alpha(alpha: TenantInfo) -> Iterator[None]:
    """Run the test in tenant alpha's schema."""
    with schema_context(alpha.schema):
        yield
