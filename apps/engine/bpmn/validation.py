"""Validate parsed definitions: one small rule function per check, listed in tables below.

Structural rules run on every process; in a process that is not executable their findings are
warnings, since such a process is only shown. Execution rules run on executable processes only.
Expressions and scripts are compiled with the functions the caller passes in, so this package
stays independent of the expression language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from apps.engine.bpmn import execution_rules, structure_rules
from apps.engine.bpmn.checking import Compile, ProcessCheck, ValidationContext
from apps.engine.bpmn.problems import Problem, Severity, by_line
from apps.engine.bpmn.spec import Definitions, Scope

ScopeRule = Callable[[Scope, ProcessCheck], Iterable[Problem]]
DefinitionsRule = Callable[[ValidationContext], Iterable[Problem]]


def check_duplicate_ids(context: ValidationContext) -> Iterator[Problem]:
    """Ids must be unique in a file: an error where an executable process, or a deployable file, is involved."""
    definitions = context.definitions
    executable_ids = {key for key, process in definitions.processes.items() if process.is_executable}
    for duplicate in definitions.duplicate_ids:
        process_ids = {duplicate.process_id, duplicate.first_process_id} - {None}
        executable = bool(process_ids & executable_ids) if process_ids else bool(executable_ids)
        message = (
            f"The id '{duplicate.element_id}' of this {duplicate.tag} is already used by the element "
            f"on line {duplicate.first_line}."
        )
        severity = Severity.ERROR if executable else Severity.WARNING
        yield Problem(severity, "duplicate-id", message, duplicate.element_id, duplicate.line)


def check_collaborations(context: ValidationContext) -> Iterator[Problem]:
    """Pools must show processes of this file and message flows must join known elements (warnings)."""
    definitions = context.definitions
    element_ids = {element_id for process in definitions.processes.values() for element_id in process.scope_of}
    element_ids |= {participant.id for c in definitions.collaborations for participant in c.participants}
    for collaboration in definitions.collaborations:
        for participant in collaboration.participants:
            if participant.process_ref is not None and participant.process_ref not in definitions.processes:
                message = (
                    f"Pool '{participant.id}' shows process '{participant.process_ref}', which is not in this file."
                )
                yield Problem(
                    Severity.WARNING, "participant-process-unknown", message, participant.id, participant.line
                )
        for flow in collaboration.message_flows:
            for end, reference in (("source", flow.source), ("target", flow.target)):
                if reference not in element_ids:
                    message = f"The {end} '{reference}' of message flow '{flow.id}' is neither a pool nor a flow node."
                    yield Problem(Severity.WARNING, "message-flow-ref-unknown", message, flow.id, flow.line)


DEFINITIONS_RULES: tuple[DefinitionsRule, ...] = (check_duplicate_ids, check_collaborations)
STRUCTURAL_RULES: tuple[ScopeRule, ...] = (
    structure_rules.check_start_events,
    structure_rules.check_flow_references,
    structure_rules.check_event_flow_direction,
    structure_rules.check_default_flows,
    structure_rules.check_gateway_conditions,
    structure_rules.check_conditions_allowed,
    structure_rules.check_boundary_attachments,
    structure_rules.check_references,
    structure_rules.check_reachability,
)
EXECUTION_RULES: tuple[ScopeRule, ...] = (
    execution_rules.check_support,
    execution_rules.check_features,
    execution_rules.check_form_refs,
    execution_rules.check_expressions,
    execution_rules.check_scripts,
    execution_rules.check_implementations,
    execution_rules.check_call_activities,
    execution_rules.check_receive_tasks,
    execution_rules.check_timers,
    execution_rules.check_retry_cycles,
    execution_rules.check_links,
    execution_rules.check_event_gateways,
    execution_rules.check_loops,
    execution_rules.check_event_subprocesses,
    execution_rules.check_conditions,
    execution_rules.check_compensation,
    execution_rules.check_none_start_events,
)


def validate(
    definitions: Definitions,
    *,
    compile_expression: Compile | None = None,
    compile_script: Compile | None = None,
    known_process_keys: frozenset[str] = frozenset(),
) -> tuple[Problem, ...]:
    """Return every problem found, ordered by line; an empty tuple means the model is fine.

    ``known_process_keys`` are the keys of processes already deployed, which call activities
    may call besides the processes of this file.
    """
    context = ValidationContext(definitions, compile_expression, compile_script, known_process_keys)
    problems = [problem for rule in DEFINITIONS_RULES for problem in rule(context)]
    for process in definitions.processes.values():
        check = ProcessCheck(process, context)
        rules = STRUCTURAL_RULES + (EXECUTION_RULES if process.is_executable else ())
        for scope in process.all_scopes():
            for rule in rules:
                problems += rule(scope, check)
    return tuple(sorted(problems, key=by_line))
