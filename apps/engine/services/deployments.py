"""Deploying BPMN files: parse, validate, store once, version by key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Max

from apps.engine.bpmn import Problem, has_errors, parse_definitions, validate
from apps.engine.expressions import compile_expression, compile_script
from apps.engine.models import Deployment, ProcessDefinition
from apps.engine.services.start_timers import (
    StartTimerInvalid,
    schedule_start_timers,
    subscribe_start_messages,
    subscribe_start_signals,
)


class DeploymentRefused(Exception):
    """The file has errors; nothing was stored. ``problems`` lists them all (with warnings)."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        super().__init__(f"{sum(problem.severity == 'error' for problem in problems)} errors")
        self.problems = problems


@dataclass(frozen=True)
class DeployResult:
    deployment: Deployment
    definitions: list[ProcessDefinition]
    created: bool  # False when identical XML was deployed before
    problems: tuple[Problem, ...]  # warnings only


def check_model(xml: bytes) -> tuple[Problem, ...]:
    """Every problem of a model, as deploying it would find them, without storing anything."""
    result = parse_definitions(xml)
    problems = result.problems
    if result.definitions is not None:
        known = frozenset(ProcessDefinition.objects.values_list("key", flat=True).distinct())
        problems += validate(
            result.definitions,
            compile_expression=compile_expression,
            compile_script=compile_script,
            known_process_keys=known,
        )
    return problems


def deploy(xml: bytes, *, name: str = "", deployed_by: str = "") -> DeployResult:
    """Store ``xml`` and a new version of each executable process in it; identical XML deploys once."""
    checksum = hashlib.sha256(xml).hexdigest()
    existing = Deployment.objects.filter(checksum=checksum).first()
    if existing is not None:
        return DeployResult(existing, list(existing.definitions.order_by("key")), False, ())
    problems = check_model(xml)
    if has_errors(problems):
        raise DeploymentRefused(problems)
    definitions = parse_definitions(xml).definitions
    assert definitions is not None  # noqa: S101 - check_model found no errors, so it parsed
    executable = [process for process in definitions.processes.values() if process.is_executable]
    try:
        with transaction.atomic():
            deployment = Deployment.objects.create(
                name=name, source_xml=xml.decode("utf-8"), checksum=checksum, deployed_by=deployed_by
            )
            stored = [_next_version(deployment, process.id, process.name or "") for process in executable]
            for definition, process in zip(stored, executable, strict=True):
                schedule_start_timers(definition, process)
                subscribe_start_messages(definition, process, definitions.messages)
                subscribe_start_signals(definition, process, definitions.signals)
    except StartTimerInvalid as invalid:
        raise DeploymentRefused((invalid.problem,)) from invalid
    except IntegrityError:
        # Another request deployed the same XML, or a version of the same key, at the same moment.
        existing = Deployment.objects.filter(checksum=checksum).first()
        if existing is None:
            raise
        return DeployResult(existing, list(existing.definitions.order_by("key")), False, ())
    return DeployResult(deployment, stored, True, problems)


def _next_version(deployment: Deployment, key: str, name: str) -> ProcessDefinition:
    """Caller holds a transaction; an advisory lock per key serialises concurrent deployments of it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{connection.schema_name}:{key}"])
    latest = ProcessDefinition.objects.filter(key=key).aggregate(latest=Max("version"))["latest"] or 0
    return ProcessDefinition.objects.create(
        deployment=deployment, key=key, version=latest + 1, name=name, deployed_at=deployment.deployed_at
    )
