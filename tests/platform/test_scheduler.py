"""The scheduler's sweep: buffered messages whose time to live ran out are removed from every
tenant, once a sweep is due on the platform's clock, not at every poll."""

from __future__ import annotations

from datetime import timedelta

from django_tenants.utils import schema_context

from apps.engine import clock
from apps.engine.models import BufferedMessage
from apps.engine.scheduler import Scheduler
from apps.engine.services.messages import correlate
from tests.conftest import TenantInfo


def buffer(info: TenantInfo, name: str, time_to_live: timedelta) -> None:
    with schema_context(info.schema):
        correlate(name, correlation_key="k-1", time_to_live=time_to_live)


def buffered(info: TenantInfo) -> list[str]:
    with schema_context(info.schema):
        return sorted(BufferedMessage.objects.values_list("name", flat=True))


def test_the_scheduler_removes_expired_buffered_messages_of_every_tenant_once_a_sweep_is_due(
    alpha: TenantInfo, beta: TenantInfo
) -> None:
    buffer(alpha, "soon-over", timedelta(minutes=10))
    buffer(alpha, "kept", timedelta(hours=1))
    buffer(beta, "soon-over", timedelta(minutes=10))
    scheduler = Scheduler(sweep_every=timedelta(minutes=1))

    clock.advance(timedelta(minutes=11))
    assert scheduler.poll().expired_messages == 2  # one in each tenant
    assert (buffered(alpha), buffered(beta)) == (["kept"], [])

    buffer(beta, "short", timedelta(seconds=10))
    clock.advance(timedelta(seconds=30))  # it expired, but the next sweep is not due yet
    assert scheduler.poll().expired_messages is None
    assert buffered(beta) == ["short"]

    clock.advance(timedelta(seconds=31))
    assert scheduler.poll().expired_messages == 1
    assert (buffered(alpha), buffered(beta)) == (["kept"], [])
