"""Human tasks: the work a user task of a running instance asks of people, and what happened to it.

A task row is written by the engine's step that reaches the user task, in its transaction
(``apps.tasks.writer``), and closed by the step that takes it away or by its completion here:
a task is never missing, nor left open, once the change commits.
"""

from __future__ import annotations

from typing import Any

import isodate
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.engine.expressions import ExpressionError, compile_expression
from apps.engine.models import ProcessInstance, new_id

DEFAULT_PRIORITY = 50  # as in Camunda 7


class TaskState(models.TextChoices):
    CREATED = "created"  # waiting for someone: unassigned
    ASSIGNED = "assigned"  # someone has it (claimed, or assigned by the model or a person)
    DELEGATED = "delegated"  # its owner handed it to someone, who gives it back when resolved
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # the process took it away (a boundary event, a terminate, an operator)


OPEN_STATES = (TaskState.CREATED, TaskState.ASSIGNED, TaskState.DELEGATED)

# The only state changes of a task (STYLE: lifecycles are explicit state machines). The people's
# changes are in apps.tasks.services (claim, unclaim, assign, delegate, resolve) and
# apps.tasks.sla (an escalation offering it to a group); the engine's step ends any open task,
# completed with its user task or cancelled when the process takes the user task away.
TASK_TRANSITIONS: dict[str, frozenset[str]] = {
    TaskState.CREATED: frozenset({TaskState.CREATED, TaskState.ASSIGNED, TaskState.COMPLETED, TaskState.CANCELLED}),
    TaskState.ASSIGNED: frozenset(
        {TaskState.CREATED, TaskState.ASSIGNED, TaskState.DELEGATED, TaskState.COMPLETED, TaskState.CANCELLED}
    ),
    TaskState.DELEGATED: frozenset(
        {TaskState.CREATED, TaskState.ASSIGNED, TaskState.DELEGATED, TaskState.COMPLETED, TaskState.CANCELLED}
    ),
    TaskState.COMPLETED: frozenset(),
    TaskState.CANCELLED: frozenset(),
}


class TransitionRefused(Exception):
    """The task's lifecycle has no such change from its present state."""


class Task(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="human_tasks")
    token_id = models.UUIDField(help_text="The engine's token waiting at the user task")
    element_id = models.CharField(max_length=255)
    process_key = models.CharField(max_length=255)
    business_key = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    assignee = models.CharField(max_length=150, blank=True)
    owner = models.CharField(max_length=150, blank=True, help_text="Who delegated it, and gets it back")
    candidate_users = ArrayField(models.CharField(max_length=150), default=list, blank=True)
    candidate_groups = ArrayField(models.CharField(max_length=150), default=list, blank=True)
    priority = models.IntegerField(default=DEFAULT_PRIORITY)
    due_date = models.DateTimeField(null=True, blank=True)
    follow_up_date = models.DateTimeField(null=True, blank=True)
    form_key = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=16, choices=TaskState.choices, default=TaskState.CREATED)
    assignment_reason = models.TextField(blank=True, help_text="Why it was assigned as it was")
    sla_due_at = models.DateTimeField(null=True, blank=True, help_text="When its SLA runs out")
    at_risk_percent = models.PositiveSmallIntegerField(default=80)
    escalations_done = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["assignee", "state"], name="tasks_task_assignee", condition=Q(state__in=OPEN_STATES)),
            GinIndex(fields=["candidate_groups"], name="tasks_task_candidate_groups"),
            models.Index(fields=["instance"], name="tasks_task_instance"),
            models.Index(fields=["-priority", "created_at"], name="tasks_task_open_order"),
        ]
        constraints = [
            # One open task per waiting token: a step writes it once, and takes it away once.
            models.UniqueConstraint(
                fields=["token_id"], condition=Q(state__in=OPEN_STATES), name="tasks_task_open_token"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def move_to(self, state: str) -> None:
        """Change the state in memory, as ``TASK_TRANSITIONS`` allows (else ``TransitionRefused``)."""
        if state not in TASK_TRANSITIONS[self.state]:
            raise TransitionRefused(f"A {self.state} task cannot become {state}.")
        self.state = state


class TaskEventKind(models.TextChoices):
    CREATED = "created"
    CLAIMED = "claimed"
    UNCLAIMED = "unclaimed"
    ASSIGNED = "assigned"
    DELEGATED = "delegated"
    RESOLVED = "resolved"
    UPDATED = "updated"
    COMMENTED = "commented"
    ESCALATED = "escalated"
    ATTACHED = "attached"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TaskComment(models.Model):
    """A remark on a task; ``mentions`` are the users of the tenant it names as ``@username``."""

    id = models.BigAutoField(primary_key=True)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.CharField(max_length=150)
    text = models.TextField(max_length=5000)
    mentions = ArrayField(models.CharField(max_length=150), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:40]}"


class TaskEvent(models.Model):
    """The history of a task: every transition, with who and when."""

    id = models.BigAutoField(primary_key=True)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=TaskEventKind.choices)
    actor = models.CharField(max_length=150, blank=True, help_text="Empty: the process did it")
    at = models.DateTimeField(default=timezone.now)
    details = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} by {self.actor or 'the process'}"


class TaskFilter(models.Model):
    """A task list someone saved (its query parameters), for themselves or shared with a group."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    owner = models.CharField(max_length=150)
    name = models.CharField(max_length=200)
    query = models.JSONField(default=dict, help_text="The task list's query parameters")
    shared_with_group = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="tasks_filter_owner_name")]

    def __str__(self) -> str:
        return self.name


class TaskAttachment(models.Model):
    """A file added to a task, kept in the tenant's own folder (``apps.tasks.attachments``)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    path = models.CharField(max_length=500, help_text="Where it is kept, under APG_ATTACHMENT_DIR")
    uploaded_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class RoutingStrategy(models.TextChoices):
    ROUND_ROBIN = "round-robin"
    LEAST_LOADED = "least-loaded"
    SKILLS = "skills"
    PERFORMANCE = "performance"
    EXPRESSION = "expression"


class RoutingRule(models.Model):
    """How the tasks of a process (or of one of its user tasks) are routed when the model names
    no assignee. A user task's ``camunda:property`` ``routing`` (with ``routingGroup`` and
    ``requiredSkills``) says the same for that task and wins over a rule."""

    id = models.BigAutoField(primary_key=True)
    process_key = models.CharField(max_length=255)
    element_id = models.CharField(max_length=255, blank=True, help_text="Empty: every user task of the process")
    strategy = models.CharField(max_length=16, choices=RoutingStrategy.choices)
    group = models.CharField(max_length=150, blank=True, help_text="Empty: the task's first candidate group")
    required_skills = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    expression = models.CharField(
        max_length=1000,
        blank=True,
        help_text="For the expression strategy: the assignee from the instance's variables, as ${manager} or =manager",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["process_key", "element_id"], name="tasks_routing_rule_target"),
        ]

    def __str__(self) -> str:
        return f"{self.process_key}/{self.element_id or '*'}: {self.strategy}"

    def clean(self) -> None:
        if self.strategy != RoutingStrategy.EXPRESSION:
            return
        if not self.expression.strip():
            raise ValidationError({"expression": "The expression strategy needs an expression."})
        try:
            compile_expression(self.expression)
        except ExpressionError as wrong:
            raise ValidationError({"expression": str(wrong)}) from wrong


class UserSkill(models.Model):
    """A skill of a user of the tenant (skill-based routing)."""

    id = models.BigAutoField(primary_key=True)
    username = models.CharField(max_length=150)
    skill = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["username", "skill"], name="tasks_user_skill")]

    def __str__(self) -> str:
        return f"{self.username}: {self.skill}"


class Absence(models.Model):
    """A user away from ``starts_at`` to ``ends_at``: tasks routed to them go to ``substitute``."""

    id = models.BigAutoField(primary_key=True)
    username = models.CharField(max_length=150)
    substitute = models.CharField(max_length=150)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.username} away, {self.substitute} instead"


class RoutingCursor(models.Model):
    """Who was given the last task of a round-robin turn, per group and task."""

    key = models.CharField(max_length=600, primary_key=True)
    last_assignee = models.CharField(max_length=150)

    def __str__(self) -> str:
        return f"{self.key}: {self.last_assignee}"


def _working_days() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday to Friday


class BusinessCalendar(models.Model):
    """The tenant's working time (in its time zone), which SLAs count: working days, the hours of a
    working day, and holidays. One row; without it, every hour counts."""

    id = models.BigAutoField(primary_key=True)
    working_days = ArrayField(models.PositiveSmallIntegerField(), default=_working_days, help_text="0 is Monday")
    day_starts = models.TimeField(default="09:00")
    day_ends = models.TimeField(default="17:00")
    holidays = ArrayField(models.DateField(), default=list, blank=True)

    def __str__(self) -> str:
        return f"working days {self.working_days}, {self.day_starts}-{self.day_ends}"


ESCALATION_ACTIONS = ("notify", "reassign", "raise-priority")


class SlaRule(models.Model):
    """How long the tasks of a process (or of one of its user tasks) may take, in working time,
    and what happens as that time runs out (``escalations``: ``{"at": percent, "action":
    "notify" | "reassign" | "raise-priority", "group": ... or "to": "manager", "priority": ...}``).
    ``clean`` checks both: a rule that cannot be read would otherwise fail every task it meets."""

    id = models.BigAutoField(primary_key=True)
    process_key = models.CharField(max_length=255)
    element_id = models.CharField(max_length=255, blank=True, help_text="Empty: every user task of the process")
    duration = models.CharField(max_length=50, help_text="ISO 8601, in working time: PT8H, P2D")
    at_risk_percent = models.PositiveSmallIntegerField(default=80)
    escalations = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["process_key", "element_id"], name="tasks_sla_rule_target")]

    def __str__(self) -> str:
        return f"{self.process_key}/{self.element_id or '*'}: {self.duration}"

    def clean(self) -> None:
        problems: dict[str, str] = {}
        try:
            isodate.parse_duration(self.duration)
        except (isodate.ISO8601Error, ValueError):
            problems["duration"] = "Give an ISO 8601 duration, such as PT8H or P2D."
        wrong = _escalation_problem(self.escalations)
        if wrong:
            problems["escalations"] = wrong
        if problems:
            raise ValidationError(problems)


def _escalation_problem(escalations: Any) -> str | None:
    if not isinstance(escalations, list):
        return "Give a list of escalations."
    for number, escalation in enumerate(escalations, 1):
        if not isinstance(escalation, dict):
            return f"Escalation {number}: give an object."
        at, action = escalation.get("at"), escalation.get("action")
        if isinstance(at, bool) or not isinstance(at, int | float) or not 0 < at <= 1000:
            return f'Escalation {number}: give "at", the percent of the SLA (1 to 1000).'
        if action not in ESCALATION_ACTIONS:
            return f"Escalation {number}: the action is one of {', '.join(ESCALATION_ACTIONS)}."
        if action == "reassign" and not escalation.get("group") and escalation.get("to") != "manager":
            return f'Escalation {number}: reassign names a "group", or "to": "manager".'
        priority = escalation.get("priority", 100)
        if action == "raise-priority" and (isinstance(priority, bool) or not isinstance(priority, int)):
            return f"Escalation {number}: give the priority as a whole number."
    return None


class ReportingLine(models.Model):
    """Whom a user of the tenant reports to: an SLA escalation may give their task to their manager."""

    username = models.CharField(max_length=150, unique=True)
    manager = models.CharField(max_length=150)

    def __str__(self) -> str:
        return f"{self.username} reports to {self.manager}"


class Notification(models.Model):
    """Something a user of the tenant should know of a task: a mention, an escalation."""

    id = models.BigAutoField(primary_key=True)
    username = models.CharField(max_length=150)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16)  # mentioned, escalated
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["username", "read_at"], name="tasks_notification_user")]

    def __str__(self) -> str:
        return f"{self.username}: {self.text}"


class FormDefinition(models.Model):
    """A version of a form-js form deployed as a file of its own (a ``.form`` file), by its ``id``.

    User tasks name it with Camunda 7's ``camunda:formRef`` or Zeebe's ``formId``. Versions count
    from 1 per key; a deployment identical to the latest version of its key adds none.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    key = models.CharField(max_length=150, help_text="The form's id")
    version = models.PositiveIntegerField()
    version_tag = models.CharField(max_length=60, blank=True, help_text="The form's versionTag, if it has one")
    name = models.CharField(max_length=255, blank=True, help_text="The file it was deployed from")
    schema = models.JSONField(help_text="The form-js form")
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the form as canonical JSON")
    deployed_by = models.CharField(max_length=150, blank=True)
    deployed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="tasks_form_key_version")]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"
