"""Running due jobs: claim a batch under a lease, then apply each in a transaction of its own.

A claim marks up to ``limit`` due jobs of active instances with a lease (owner, a fresh lock
token, an expiry) in one statement, skipping rows another worker holds (``FOR UPDATE SKIP
LOCKED``): two workers never run one job at once. Applying a job locks its instance first
(the order every trigger keeps), then the job row, and goes on only if the lease is still its
own and unexpired (the fence): a worker that stalled past its lease cannot apply a job that
another has claimed since. A job that fails for a reason of its own (the database, a bug) is
released with its error and tried again later, as its element's retry cycle says
(``camunda:failedJobRetryTimeCycle``, else ``APG_JOB_RETRY_CYCLE``, else ``MAX_ATTEMPTS``
attempts with a growing wait); when the attempts are used up it stops with an
incident on its token. A handler that raises is such a failure too (a service it calls may be
back later), as a delegate's exception is in Camunda 7: the job's step is rolled back and
tried again. A failure the model causes (a timer expression, a script) is an incident of the
step, as with every other trigger: trying it again would fail again. A conflict with another
transaction (a deadlock, a serialization failure, a lock not available) is no failure of the
job: it is released to run again at once, without spending an attempt.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from psycopg import errors

from apps.engine import checkpoints, clock, runtime
from apps.engine.bpmn import timer_text
from apps.engine.handlers import registered_handlers
from apps.engine.models import Incident, InstanceState, Job, JobKind, ProcessInstance, SignalSubscription, new_text_id
from apps.engine.runtime.activities import HANDLER_FAILED
from apps.engine.runtime.boundaries import stays_subscribed
from apps.engine.services import outbox, rows, signals, start_timers, wakeup
from apps.engine.services.compiled import compiled_process
from apps.engine.services.instances import start_instance
from apps.engine.services.store import lock_and_load, lock_instance, write_step

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 3
RETRY_DELAY = timedelta(seconds=10)  # times the attempts made so far
CONFLICTS = (errors.DeadlockDetected, errors.SerializationFailure, errors.LockNotAvailable)


class Ran(StrEnum):
    APPLIED = "applied"  # the job's trigger was applied
    GONE = "gone"  # cancelled meanwhile, or its token no longer waits for it
    LEASE_LOST = "lease-lost"  # another worker holds it now; nothing was done
    FAILED = "failed"  # released with its error, to be tried again (or stopped with an incident)
    CONFLICT = "conflict"  # another transaction was in the way: released to run again, no attempt spent


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    lock_token: uuid.UUID
    kind: str | None = None  # read with the claim; None: read when the job runs
    instance_id: uuid.UUID | None = None


def claim_due_jobs(owner: str, limit: int, lease: timedelta = LEASE) -> list[Claimed]:
    """Lease up to ``limit`` jobs due on the platform's clock, the longest due first (own transaction)."""
    now_sql, now_parameters = clock.sql_now()
    token = uuid.uuid4()
    job, instance = Job._meta.db_table, ProcessInstance._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {job} SET lock_owner = %s, lock_token = %s, locked_until = {now_sql} + %s "  # noqa: S608
            f"WHERE id IN (SELECT due.id FROM {job} AS due LEFT JOIN {instance} AS instance "
            "ON instance.id = due.instance_id "
            f"WHERE due.due_at <= {now_sql} AND (due.locked_until IS NULL OR due.locked_until < {now_sql}) "
            "AND due.attempts < due.max_attempts AND (due.instance_id IS NULL OR instance.state = %s) "
            "ORDER BY due.due_at LIMIT %s FOR UPDATE OF due SKIP LOCKED) "
            "RETURNING id, kind, instance_id",
            [
                owner,
                token,
                *now_parameters,
                lease,
                *now_parameters,
                *now_parameters,
                InstanceState.ACTIVE,
                limit,
            ],
        )
        return [Claimed(row[0], token, row[1], row[2]) for row in cursor.fetchall()]


def run_job(claimed: Claimed) -> Ran:
    """Apply one claimed job in its own transaction; see the module's description."""
    try:
        with transaction.atomic():
            ran = _apply(claimed)
            checkpoints.reach(checkpoints.JOB_APPLIED)
        checkpoints.reach(checkpoints.JOB_COMMITTED)
        return ran
    except Exception as error:  # a job must never take its worker down with it
        logger.exception("job %s failed", claimed.id)
        return _release_failed(claimed, error)


# This transaction's commit returns before its WAL is flushed (PostgreSQL's asynchronous commit,
# for this transaction only): nobody waits on a job's commit, and a database crash that undoes it
# leaves the job's row as it was, so the job runs again (``APG_JOB_SYNCHRONOUS_COMMIT``).
ASYNCHRONOUS_COMMIT: rows.Statement = ("SET LOCAL synchronous_commit = off", [])


def _commit_without_waiting_for_the_disk() -> None:
    if not settings.APG_JOB_SYNCHRONOUS_COMMIT:
        rows.execute([ASYNCHRONOUS_COMMIT])


def run_due_jobs(owner: str, limit: int) -> int:
    """Claim a batch of due jobs and run them one after the other; how many were claimed."""
    claimed = claim_due_jobs(owner, limit)
    with wakeup.running_jobs():
        for job in claimed:
            run_job(job)
    return len(claimed)


def _apply(claimed: Claimed) -> Ran:
    kind, instance_id = claimed.kind, claimed.instance_id
    if kind is None:
        kind, instance_id = Job.objects.filter(id=claimed.id).values_list("kind", "instance_id").first() or (None, None)
    if kind in (JobKind.TIMER_START, JobKind.SIGNAL) or instance_id is None:
        _commit_without_waiting_for_the_disk()
    if kind == JobKind.TIMER_START:
        return _start_by_timer(claimed)
    if kind == JobKind.SIGNAL:
        return _broadcast_signal(claimed)
    if instance_id is None:
        return Ran.GONE
    # One round trip: lock the instance, read its tokens, and take the job if the lease is still
    # ours (the fence) and the instance active.
    relaxed = [] if settings.APG_JOB_SYNCHRONOUS_COMMIT else [ASYNCHRONOUS_COMMIT]
    instance, snapshot, taken = lock_and_load(instance_id, _take_statement(claimed), before=relaxed)
    if instance.state != InstanceState.ACTIVE:
        held = Job.objects.filter(id=claimed.id, lock_token=claimed.lock_token)
        held.update(lock_owner="", lock_token=None, locked_until=None)
        return Ran.LEASE_LOST  # it runs when the instance is active again
    job = _taken(claimed, taken)
    if job is None:
        return Ran.GONE if not Job.objects.filter(id=claimed.id).exists() else Ran.LEASE_LOST
    now = clock.now()
    try:
        process, token_id = compiled_process(instance.definition), str(job.token_id)
        handlers = registered_handlers()
        if job.kind == JobKind.SIGNAL_DELIVERY:
            step = _deliver_signal(job, instance, snapshot, now)
            if step is None:
                return Ran.GONE
        elif job.kind in (JobKind.BOUNDARY_TIMER, JobKind.GATEWAY_TIMER):
            fire = runtime.fire_boundary if job.kind == JobKind.BOUNDARY_TIMER else runtime.fire_gateway_event
            step = fire(process, snapshot, token_id, job.element_id, now=now, new_id=new_text_id, handlers=handlers)
        else:
            step = runtime.continue_job(
                process, snapshot, token_id, job.kind, now=now, new_id=new_text_id, handlers=handlers
            )
    except runtime.TriggerRejected:
        return Ran.GONE  # the token moved on without it (an operator's modification)
    handler_failed = next((incident for incident in step.incidents if incident.kind == HANDLER_FAILED), None)
    if handler_failed is not None:
        raise HandlerFailed(handler_failed.message)  # rolls the step back; the attempt counts
    write_step(instance, step, now=now)
    return Ran.APPLIED


def _broadcast_signal(claimed: Claimed) -> Ran:
    """A signal thrown in an instance: fan it out to its subscribers (their deliveries are jobs too)."""
    job = _fenced(claimed)
    if job is None:
        return Ran.GONE if not Job.objects.filter(id=claimed.id).exists() else Ran.LEASE_LOST
    job.delete()
    signals.broadcast(job.payload["name"], actor=job.payload.get("actor", ""))
    return Ran.APPLIED


def _deliver_signal(
    job: Job, instance: ProcessInstance, snapshot: runtime.Snapshot, now: datetime
) -> runtime.Step | None:
    """The step of one signal delivery (a catch event completed, a boundary event fired), or
    None when the subscription went meanwhile."""
    subscription = SignalSubscription.objects.filter(token_id=job.token_id, element_id=job.element_id).first()
    if subscription is None:
        return None
    process = compiled_process(instance.definition)
    step = runtime.deliver(
        process,
        snapshot,
        str(job.token_id),
        job.element_id,
        subscription.kind,
        job.payload.get("variables") or {},
        expected_wait="signal",
        now=now,
        new_id=new_text_id,
        handlers=registered_handlers(),
    )
    if subscription.kind == "wait" or not stays_subscribed(process.nodes[job.element_id]):
        subscription.delete()
    return step


def _start_by_timer(claimed: Claimed) -> Ran:
    """A timer start event fired: move its job to the next occurrence (or drop it), start an instance."""
    job = _fenced(claimed)
    if job is None:
        return Ran.GONE if not Job.objects.filter(id=claimed.id).exists() else Ran.LEASE_LOST
    definition = job.definition
    assert definition is not None  # noqa: S101 - a start timer's job names its definition
    now = clock.now()
    node = compiled_process(definition).nodes[job.element_id]
    following, fired = start_timers.next_occurrence(node, job.due_at, job.fired + 1, now)
    if following is None:
        job.delete()
    else:
        Job.objects.filter(id=job.id).update(
            due_at=following, fired=fired, lock_owner="", lock_token=None, locked_until=None
        )
    start_instance(definition, {}, started_by="timer", start_event_id=job.element_id)
    return Ran.APPLIED


def _retry_plan(job: Job) -> timer_text.RetryPlan | None:
    """The retry cycle of the job's element (``camunda:failedJobRetryTimeCycle``), or of the
    settings (``APG_JOB_RETRY_CYCLE``); None: the built-in 3 attempts with a growing wait."""
    text = settings.APG_JOB_RETRY_CYCLE
    definition = job.definition if job.instance_id is None else job.instance.definition if job.instance else None
    if definition is not None:
        node = compiled_process(definition).nodes.get(job.element_id)
        text = (node.extensions.retry_time_cycle if node is not None else None) or text
    return timer_text.retry_plan(text) if text else None


def _take_statement(claimed: Claimed) -> rows.Statement:
    """Delete the job if ``claimed`` still holds an unexpired lease on it (the fence) and its
    instance is active, returning it as it was."""
    now_sql, now_parameters = clock.sql_now()
    job, instance = Job._meta.db_table, ProcessInstance._meta.db_table
    return (
        f"DELETE FROM {job} AS job USING {instance} AS instance WHERE job.id = %s AND job.lock_token = %s "  # noqa: S608
        f"AND job.locked_until > {now_sql} AND instance.id = job.instance_id AND instance.state = %s "
        "RETURNING job.instance_id, job.token_id, job.element_id, job.kind, job.payload",
        [claimed.id, claimed.lock_token, *now_parameters, InstanceState.ACTIVE],
    )


def _taken(claimed: Claimed, returned: list[Any]) -> Job | None:
    """The job ``_take_statement`` deleted, or None."""
    if not returned:
        return None
    row = returned[0]
    payload = row[4] if isinstance(row[4], dict) else json.loads(row[4])
    return Job(id=claimed.id, instance_id=row[0], token_id=row[1], element_id=row[2], kind=row[3], payload=payload)


def _fenced(claimed: Claimed) -> Job | None:
    """The job, locked, if ``claimed`` still holds an unexpired lease on it."""
    now_sql, now_parameters = clock.sql_now()
    lease_live = RawSQL(f"locked_until > {now_sql}", now_parameters, output_field=BooleanField())  # noqa: S611
    return (
        Job.objects.select_for_update()
        .alias(lease_live=lease_live)
        .filter(id=claimed.id, lock_token=claimed.lock_token, lease_live=True)
        .first()
    )


class HandlerFailed(Exception):
    """A handler raised while the job ran: the job fails, to be tried again."""


def _is_conflict(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) is a conflict with another transaction."""
    while error is not None:
        if isinstance(error, CONFLICTS):
            return True
        error = error.__cause__
    return False


def _release_failed(claimed: Claimed, error: Exception) -> Ran:
    with transaction.atomic():
        # The instance first, as every trigger locks it: its incident and event are written under it.
        instance_id = Job.objects.filter(id=claimed.id).values_list("instance_id", flat=True).first()
        instance = lock_instance(instance_id) if instance_id is not None else None
        job = Job.objects.select_for_update().filter(id=claimed.id, lock_token=claimed.lock_token).first()
        if job is None:
            return Ran.LEASE_LOST
        if _is_conflict(error):
            job.lock_owner, job.lock_token, job.locked_until = "", None, None
            job.last_error = f"{type(error).__name__}: {error}"[:2000]
            job.save(update_fields=["lock_owner", "lock_token", "locked_until", "last_error"])
            return Ran.CONFLICT
        plan = _retry_plan(job)
        job.attempts += 1
        job.max_attempts = plan.attempts if plan is not None else job.max_attempts
        job.last_error = f"{type(error).__name__}: {error}"[:2000]
        job.lock_owner, job.lock_token, job.locked_until = "", None, None
        delay = plan.delay(job.attempts) if plan is not None else RETRY_DELAY * job.attempts
        job.due_at = clock.now() + delay
        fields = ["attempts", "max_attempts", "last_error", "lock_owner", "lock_token", "locked_until", "due_at"]
        job.save(update_fields=fields)
        if job.attempts >= job.max_attempts and instance is not None:  # a start timer has no instance to flag
            incident = Incident.objects.create(
                instance_id=instance.id,
                token_id=job.token_id,
                element_id=job.element_id,
                kind="job-failed",
                message=f"The {job.kind} job failed {job.attempts} times; the last error: {job.last_error}",
                created_at=clock.now(),
            )
            outbox.record(instance, [outbox.incident_created(incident)], now=incident.created_at)
    return Ran.FAILED
