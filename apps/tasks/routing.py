"""Who gets a new task when the model names no assignee, and why: the explanation is kept on the
task (``assignment_reason``).

A user task's ``camunda:property`` ``routing`` (``round-robin``, ``least-loaded``, ``skills``,
``performance``; with ``routingGroup`` and ``requiredSkills``) or a ``RoutingRule`` of its
process chooses among the active members of a group (the routing group, else the task's first
candidate group). Absent members are passed over; whoever is chosen (or named by the model) and
absent has their new task go to their substitute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef

from apps.engine.expressions import EvaluationError, ExpressionError, compile_expression
from apps.tasks.models import (
    OPEN_STATES,
    Absence,
    RoutingCursor,
    RoutingRule,
    RoutingStrategy,
    Task,
    TaskState,
    UserSkill,
)

# Performance-based routing: how many completions of a task make a user known at it (until then
# they are given it, so that new users get work and their speed can be learned), and how far back.
EXPLORE_BELOW = 3
HISTORY = timedelta(days=90)
LEAST_KEPT = 0.1  # someone whose every completion came back counts as ten times slower, not as never done


@dataclass(frozen=True)
class Routing:
    strategy: str
    group: str
    skills: tuple[str, ...]
    expression: str = ""


@dataclass(frozen=True)
class Choice:
    assignee: str
    reason: str


def routing_for(process_key: str, element_id: str, properties: Mapping[str, str], groups: list[str]) -> Routing | None:
    strategy = properties.get("routing", "").strip().lower()
    group = properties.get("routingGroup", "").strip()
    skills = tuple(skill.strip() for skill in properties.get("requiredSkills", "").split(",") if skill.strip())
    expression = properties.get("routingExpression", "").strip()
    if not strategy:
        rule = (
            RoutingRule.objects.filter(process_key=process_key, element_id__in=[element_id, ""])
            .order_by("-element_id")
            .first()
        )
        if rule is None:
            return None
        strategy, group, skills = rule.strategy, group or rule.group, skills or tuple(rule.required_skills)
        expression = expression or rule.expression
    if strategy not in RoutingStrategy.values:
        return None
    if strategy == RoutingStrategy.EXPRESSION:
        return Routing(strategy, group, skills, expression) if expression else None
    group = group or (groups[0] if groups else "")
    return Routing(strategy, group, skills) if group else None


def choose(
    routing: Routing, process_key: str, element_id: str, now: datetime, variables: Mapping[str, Any]
) -> Choice | None:
    """The member of the routing group the strategy picks (the expression strategy: the active
    user its expression names from ``variables``); None when nobody is there to pick."""
    if routing.strategy == RoutingStrategy.EXPRESSION:
        return _by_expression(routing.expression, variables, now)
    away = set(Absence.objects.filter(starts_at__lte=now, ends_at__gt=now).values_list("username", flat=True))
    members = sorted(
        get_user_model()
        .objects.filter(groups__name=routing.group, is_active=True)
        .exclude(username__in=away)
        .values_list("username", flat=True)
    )
    if not members:
        return None
    if routing.strategy == RoutingStrategy.ROUND_ROBIN:
        return _round_robin(routing.group, process_key, element_id, members)
    if routing.strategy == RoutingStrategy.SKILLS:
        return _by_skills(members, routing)
    if routing.strategy == RoutingStrategy.PERFORMANCE:
        return _by_performance(members, process_key, element_id, now)
    return _least_loaded(members, f"of group {routing.group}")


def _by_expression(text: str, variables: Mapping[str, Any], now: datetime) -> Choice:
    """The active user ``text`` names; else nobody, saying why (the task stays offered to its
    candidates)."""
    try:
        named = compile_expression(text).evaluate(variables, now=now)
    except (ExpressionError, EvaluationError) as failed:
        return Choice("", f"The routing expression {text} failed ({failed}): offered to the candidates.")
    if not isinstance(named, str) or not named:
        return Choice("", f"The routing expression {text} named nobody: offered to the candidates.")
    if not get_user_model().objects.filter(username=named, is_active=True).exists():
        return Choice("", f"The routing expression {text} named {named}, no active user: offered to the candidates.")
    return Choice(named, f"The routing expression {text} named {named}.")


def substitute(assignee: str, reason: str, now: datetime) -> Choice:
    """``assignee``, or their substitute while they are away."""
    away = Absence.objects.filter(username=assignee, starts_at__lte=now, ends_at__gt=now).first()
    if away is None:
        return Choice(assignee, reason)
    until = f"{away.ends_at:%Y-%m-%d}"
    return Choice(
        away.substitute, f"{reason} {assignee} is away until {until}: their substitute {away.substitute} has it."
    )


def _round_robin(group: str, process_key: str, element_id: str, members: list[str]) -> Choice:
    key = f"{group}|{process_key}|{element_id}"
    cursor = RoutingCursor.objects.select_for_update().filter(key=key).first()
    after = cursor.last_assignee if cursor is not None else ""
    following = next((member for member in members if member > after), members[0])
    RoutingCursor.objects.update_or_create(key=key, defaults={"last_assignee": following})
    return Choice(following, f"Round robin in group {group}: {following}'s turn.")


def _open_counts(members: list[str]) -> dict[str, int]:
    counted = (
        Task.objects.filter(assignee__in=members, state__in=OPEN_STATES)
        .values("assignee")
        .annotate(open=Count("id"))
        .values_list("assignee", "open")
    )
    return {member: 0 for member in members} | dict(counted)


def _least_loaded(members: list[str], among: str) -> Choice:
    load = _open_counts(members)
    chosen = min(members, key=lambda member: (load[member], member))
    return Choice(chosen, f"Least loaded {among}: {chosen} has {load[chosen]} open tasks.")


def _by_skills(members: list[str], routing: Routing) -> Choice | None:
    needed = set(routing.skills)
    have: dict[str, set[str]] = {member: set() for member in members}
    for username, skill in UserSkill.objects.filter(username__in=members).values_list("username", "skill"):
        have[username].add(skill)
    able = [member for member in members if needed <= have[member]]
    if not able:
        return None
    choice = _least_loaded(able, f"of those with {', '.join(sorted(needed)) or 'no particular'} skills")
    return Choice(choice.assignee, choice.reason)


def _by_performance(members: list[str], process_key: str, element_id: str, now: datetime) -> Choice:
    """Who gives a finished piece of this task soonest: the median time from creation to
    completion, divided by the share of their completions the process did not send back (a
    completion is *reopened* when the same instance reaches this user task again afterwards: a
    rework loop). Members who have done it fewer than ``EXPLORE_BELOW`` times get it first."""
    came_back = Task.objects.filter(
        instance_id=OuterRef("instance_id"), element_id=element_id, created_at__gt=OuterRef("completed_at")
    )
    done = (
        Task.objects.filter(
            process_key=process_key,
            element_id=element_id,
            state=TaskState.COMPLETED,
            assignee__in=members,
            completed_at__gte=now - HISTORY,
        )
        .annotate(took=F("completed_at") - F("created_at"), reopened=Exists(came_back))
        .values_list("assignee", "took", "reopened")
    )
    times: dict[str, list[float]] = {member: [] for member in members}
    reopened: dict[str, int] = dict.fromkeys(members, 0)
    for assignee, took, sent_back in done:
        times[assignee].append(took.total_seconds())
        reopened[assignee] += int(sent_back)
    new = [member for member in members if len(times[member]) < EXPLORE_BELOW]
    if new:
        chosen = min(new, key=lambda member: (len(times[member]), member))
        return Choice(chosen, f"{chosen} has done this task {len(times[chosen])} times: given it to learn their pace.")

    def per_accepted(member: str) -> float:
        kept = 1 - reopened[member] / len(times[member])
        return median(times[member]) / max(kept, LEAST_KEPT)

    best = min(members, key=lambda member: (per_accepted(member), member))
    return Choice(
        best,
        f"{best} does this task best: {median(times[best]) / 60:.1f} minutes at the median over "
        f"{len(times[best])} times, {reopened[best]} of them reopened.",
    )
