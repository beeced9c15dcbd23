"""Link events: a throw event goes on from the catch event of the same name in its scope."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from apps.engine.runtime import Outcome
from apps.engine.services.deployments import DeploymentRefused, deploy
from tests.conftest import TenantInfo
from tests.engine.runtime.harness import MODELS, InstanceOf


def test_a_link_throw_event_goes_on_from_its_catch_event(instance_of: InstanceOf) -> None:
    instance = instance_of("link_events")

    step = instance.start()

    assert instance.visited == ["start", "first_page", "to_page_two", "from_page_one", "second_page", "end"]
    assert step.outcome is Outcome.COMPLETED
    assert instance.snapshot.variables == {"pages": 2}


def test_a_link_without_its_catch_event_is_refused_at_deploy(alpha: TenantInfo) -> None:
    broken = (
        (MODELS / "link_events.bpmn")
        .read_bytes()
        .replace(b'name="page-two"/></bpmn:intermediateCatch', b'name="page-2"/></bpmn:intermediateCatch')
    )
    with schema_context(alpha.schema), pytest.raises(DeploymentRefused) as refused:
        deploy(broken)
    assert ("link-target-missing", "to_page_two") in [
        (problem.code, problem.element_id) for problem in refused.value.problems
    ]
