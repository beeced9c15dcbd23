"""Broadcasting signals: every waiting signal event of the tenant gets its own delivery job.

A signal (from the API, or thrown in an instance: a job made by the thrower's step) fans out
in one transaction: a ``signal-delivery`` job per waiting catch or boundary event, and a new
instance per signal start event of the newest versions. Each delivery then runs as any job
does, under its instance's lock, leased and fenced: a worker that dies mid-broadcast loses no
delivery and makes none twice, and no transaction holds two instances' locks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from apps.engine import clock
from apps.engine.models import InstanceState, Job, JobKind, SignalSubscription
from apps.engine.services import wakeup
from apps.engine.services.instances import start_instance


@dataclass(frozen=True)
class Broadcast:
    deliveries: int  # waiting events the signal will reach (each by a job, within moments)
    started: list[str]  # instances its start events started


def broadcast(name: str, variables: Mapping[str, Any] | None = None, *, actor: str = "") -> Broadcast:
    """Send the signal ``name`` to every subscriber of the tenant."""
    with transaction.atomic():
        now = clock.now()
        waiting = SignalSubscription.objects.exclude(kind="start").filter(
            signal_name=name, instance__state=InstanceState.ACTIVE
        )
        jobs = [
            Job(
                instance_id=subscription.instance_id,
                token_id=subscription.token_id,
                element_id=subscription.element_id,
                kind=JobKind.SIGNAL_DELIVERY,
                due_at=now,
                payload={"name": name, "variables": dict(variables or {}), "actor": actor},
            )
            for subscription in waiting.order_by("created_at")
        ]
        Job.objects.bulk_create(jobs)
        started = [
            str(
                start_instance(
                    subscription.definition,  # type: ignore[arg-type]
                    variables or {},
                    started_by=actor,
                    start_event_id=subscription.element_id,
                ).id
            )
            for subscription in SignalSubscription.objects.filter(signal_name=name, kind="start").select_related(
                "definition"
            )
        ]
        if jobs:
            wakeup.wake_after_commit()
    return Broadcast(len(jobs), started)


def throw_later(names: list[str], *, now: Any, actor: str) -> None:
    """Caller holds a step's transaction: the signals it threw, broadcast by a job once it commits."""
    Job.objects.bulk_create(
        Job(element_id="", kind=JobKind.SIGNAL, due_at=now, payload={"name": name, "actor": actor}) for name in names
    )
    wakeup.wake_after_commit()
