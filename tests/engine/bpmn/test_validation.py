"""Validation: each rule on its own small model, with exact codes, element ids and lines."""

from __future__ import annotations

import pytest

from apps.engine.bpmn.parser import parse_definitions
from apps.engine.bpmn.problems import has_errors
from apps.engine.bpmn.validation import validate
from tests.engine.bpmn.modeling import (
    StandInCompileError,
    parse_model,
    read_model,
    refuse_at_signs,
    summarize,
    validate_model,
)


def test_a_sound_executable_process_has_no_problems():
    assert validate_model("minimal.bpmn") == ()


@pytest.mark.parametrize(
    "model, expected",
    [
        ("no_start_event.bpmn", [("error", "no-start-event", "no_start", 3)]),
        (
            "flow_references.bpmn",
            [
                ("error", "flow-target-unknown", "to_nowhere", 6),
                ("error", "flow-source-unknown", "from_nowhere", 7),
                ("error", "flow-source-unknown", "no_refs", 8),
                ("error", "flow-target-unknown", "no_refs", 8),
            ],
        ),
        ("duplicate_ids.bpmn", [("error", "duplicate-id", "work", 7), ("warning", "duplicate-id", "sketch_end", 15)]),
        (
            "gateway_conditions.bpmn",
            [("error", "gateway-condition-missing", "small", 10), ("error", "gateway-condition-missing", "notify", 19)],
        ),
        (
            "default_flows.bpmn",
            [
                ("error", "default-flow-has-condition", "usual", 10),
                ("error", "default-flow-not-outgoing", "review", 13),
            ],
        ),
        (
            "reachability.bpmn",
            [("error", "unreachable-element", "orphan", 9), ("error", "no-reachable-end", "endless", 12)],
        ),
        (
            "event_flow_direction.bpmn",
            [
                ("error", "start-event-ambiguous", "direction", 3),
                ("error", "start-event-has-incoming", "start", 4),
                ("error", "end-event-has-outgoing", "end", 6),
                ("error", "condition-not-allowed", "guarded", 12),
            ],
        ),
        (
            "references.bpmn",
            [
                ("error", "message-ref-unknown", "wait_payment", 9),
                ("error", "message-ref-missing", "wait_anything", 11),
                ("error", "implementation-missing", "notify", 13),
                ("error", "implementation-missing", "compute", 15),
                ("error", "unsupported-feature", "decide", 17),
                ("warning", "signal-ref-unknown", "sketch_start", 23),
                ("warning", "error-ref-unknown", "sketch_end", 27),
                ("warning", "boundary-attachment-unknown", "floating", 29),
                ("warning", "unreachable-element", "floating", 29),
            ],
        ),
        (
            "loops.bpmn",
            [
                ("error", "multi-instance-input-missing", "no_input", 36),
                ("error", "loop-condition-missing", "forever", 40),
                ("error", "loop-condition-missing", "bad_maximum", 44),
            ],
        ),
        ("collaboration.bpmn", [("warning", "message-flow-ref-unknown", "lost_flow", 9)]),
    ],
)
def test_structural_and_execution_rules(model, expected):
    definitions = parse_definitions(read_model(model)).definitions
    assert definitions is not None

    problems = validate(definitions)

    assert summarize(problems) == expected


def test_problems_say_what_is_wrong_and_where():
    problems = validate_model("gateway_conditions.bpmn")

    assert problems[0].message == (
        "Sequence flow 'small' leaves the exclusive gateway 'choose' without a condition and is not its "
        "default flow: give it a condition or make it the default."
    )
    assert str(problems[0]).startswith("error: gateway-condition-missing [small] (line 10): Sequence flow 'small'")


def test_structural_problems_of_a_process_that_is_not_executable_are_warnings():
    data = read_model("no_start_event.bpmn").replace(b'isExecutable="true"', b'isExecutable="false"')
    definitions = parse_definitions(data).definitions
    assert definitions is not None

    problems = validate(definitions)

    assert summarize(problems) == [("warning", "no-start-event", "no_start", 3)]
    assert not has_errors(problems)


def test_elements_not_executed_yet_are_errors_in_an_executable_process():
    problems = validate_model("unsupported_elements.bpmn")

    assert summarize(problems) == [
        ("error", "unsupported-element", "mix", 19),
        ("error", "unsupported-element", "huddle", 27),
    ]
    assert problems[0].message == "The complex gateway 'mix' is not supported by this engine."
    assert problems[-1].message == "The choreography task 'huddle' is not supported by this engine."


def test_the_same_elements_are_only_parsed_in_a_process_that_is_not_executable():
    definitions = parse_model("not_executable.bpmn")

    assert definitions.processes["sketch"].is_executable is False
    assert validate_model("not_executable.bpmn") == ()


def test_settings_the_engine_would_not_honour_are_refused():
    problems = validate_model("unsupported_features.bpmn")

    assert summarize(problems) == [
        ("error", "unsupported-feature", "features", 5),
        ("error", "unsupported-feature", "approve", 11),
        ("error", "unsupported-feature", "compute", 16),
        ("error", "unsupported-feature", "compute", 16),
        ("error", "implementation-missing", "compute", 16),
        ("error", "unsupported-feature", "f3", 19),
        ("error", "unsupported-feature", "call", 22),
        ("error", "unsupported-feature", "call", 22),
        ("error", "unsupported-feature", "external", 24),
        ("warning", "feature-ignored", "external", 26),
        ("warning", "feature-ignored", "copy", 31),
        ("error", "unsupported-feature", "copy", 35),
    ]
    assert (
        problems[1].message == "The user task 'approve' uses camunda:taskListener, which this engine does not execute."
    )


def test_expressions_that_do_not_compile_are_errors_on_their_element_and_line():
    problems = validate_model("expressions.bpmn")

    assert summarize(problems) == [
        ("error", "expression-invalid", "broken", 8),
        ("error", "expression-language-unsupported", "scripted", 11),
        ("error", "expression-invalid", "review", 14),
        ("error", "expression-invalid", "review", 17),
        ("error", "expression-invalid", "review", 22),
        ("error", "expression-invalid", "repeat", 28),
    ]
    assert problems[0].message == "The expression '${amount @@ 10}' does not compile: unexpected '@@'"


def test_the_position_of_a_compile_error_is_in_the_message():
    def refuse_with_position(text: str) -> object:
        raise StandInCompileError("unknown operator", position="column 9")

    definitions = parse_model("gateway_conditions.bpmn")

    problems = validate(definitions, compile_expression=refuse_with_position)

    assert [problem.message for problem in problems if problem.code == "expression-invalid"] == [
        "The expression '${amount > 1000}' does not compile at column 9: unknown operator",
        "The expression '= audit = true' does not compile at column 9: unknown operator",
    ]


def test_a_compiler_fault_is_raised_not_reported():
    def broken_compiler(text: str) -> object:
        raise RuntimeError("bug in the compiler")

    with pytest.raises(RuntimeError, match="bug in the compiler"):
        validate(parse_model("gateway_conditions.bpmn"), compile_expression=broken_compiler)


def test_without_compilers_expressions_are_not_compiled():
    assert summarize(validate(parse_model("expressions.bpmn"))) == [
        ("error", "expression-language-unsupported", "scripted", 11),
    ]


def test_scripts_need_text_an_accepted_format_and_to_compile():
    problems = validate_model("scripts.bpmn")

    assert summarize(problems) == [
        ("error", "script-invalid", "broken", 11),
        ("error", "script-format-unsupported", "groovy", 15),
        ("error", "script-missing", "empty", 18),
    ]
    assert problems[1].message == (
        "The script format 'groovy' of 'groovy' is not supported: "
        "give none, or one of 'apg', 'expression', 'feel', 'juel'."
    )


def test_call_activities_call_a_process_of_the_file_or_a_deployed_one():
    assert summarize(validate_model("call_activities.bpmn")) == [
        ("error", "call-activity-unknown-key", "call_deployed", 8),
        ("error", "call-activity-unknown-key", "call_sketch", 10),
        ("error", "call-activity-key-missing", "call_nothing", 12),
    ]
    assert summarize(validate_model("call_activities.bpmn", known_process_keys=frozenset({"billing"}))) == [
        ("error", "call-activity-unknown-key", "call_sketch", 10),
        ("error", "call-activity-key-missing", "call_nothing", 12),
    ]


@pytest.mark.parametrize(
    "model, known_keys, expected",
    [
        ("camunda_user_task.bpmn", frozenset(), []),
        ("camunda_call_activity.bpmn", frozenset({"billing"}), []),
        ("zeebe.bpmn", frozenset({"shipping"}), []),
        ("activiti_and_performers.bpmn", frozenset(), [("warning", "feature-ignored", "sign", 20)]),
        (
            "camunda_service_tasks.bpmn",
            frozenset(),
            [
                ("error", "unsupported-feature", "topicless", 14),
                ("error", "implementation-missing", "topicless", 14),
                ("error", "unsupported-feature", "computed", 16),
                ("error", "implementation-missing", "computed", 16),
            ],
        ),
    ],
)
def test_camunda_and_zeebe_models_in_the_supported_subset_validate(model, known_keys, expected):
    assert summarize(validate_model(model, known_process_keys=known_keys)) == expected


def test_event_subprocesses_conditions_compensation_and_cancel_events_are_checked_at_deploy():
    problems = validate_model("invalid_events.bpmn")

    assert sorted((problem.code, problem.element_id) for problem in problems if problem.severity == "error") == [
        ("cancel-boundary-missing", "deal"),
        ("cancel-outside-transaction", "stop"),
        ("compensation-event-subprocess-invalid", "compensated"),
        ("compensation-handler-missing", "undo_pay"),
        ("condition-missing", "wait"),
        ("event-subprocess-start-invalid", "on_anything"),
        ("unsupported-element", "anything"),
        ("variable-events-invalid", "wait"),
    ]


def test_form_references_that_cannot_be_found_are_refused_at_deployment():
    problems = validate_model("form_refs.bpmn")

    assert summarize(problems) == [
        ("error", "form-ref-invalid", "unknown_binding", 8),
        ("error", "form-ref-invalid", "no_version", 9),
        ("error", "form-ref-invalid", "bad_version", 10),
        ("error", "form-ref-invalid", "no_key", 11),
        ("error", "form-ref-invalid", "bad_key", 12),
        ("error", "form-ref-invalid", "two_forms", 13),
        ("warning", "feature-ignored", "stray_version", 14),
        ("error", "form-ref-invalid", "zeebe_untagged", 16),
        ("error", "form-ref-invalid", "zeebe_version", 17),
    ]
    messages = {problem.element_id: problem.message for problem in problems}
    assert messages["unknown_binding"] == (
        "The user task 'unknown_binding' binds its form by 'newest'; "
        "camunda:formRef binds by latest, deployment, version."
    )
    assert (
        messages["no_version"] == "The user task 'no_version' binds its form by version without camunda:formRefVersion."
    )
    assert messages["bad_version"] == (
        "The user task 'bad_version' binds its form to version 'two': "
        "a version is a whole number from 1, or an expression."
    )
    assert messages["no_key"] == "The user task 'no_key' binds a form (camunda:formRef) without naming it."
    assert messages["two_forms"] == (
        "The user task 'two_forms' names a form twice: "
        "the form key 'embedded:app:forms/a.html' and camunda:formRef; give one."
    )
    assert messages["zeebe_version"] == (
        "The user task 'zeebe_version' binds its form by 'version'; "
        "zeebe:formDefinition binds by latest, deployment, versionTag."
    )


def test_a_form_version_expression_must_compile():
    data = read_model("form_refs.bpmn").replace(b"${formVersion}", b"${form@@Version}")
    definitions = parse_definitions(data).definitions
    assert definitions is not None

    problems = validate(definitions, compile_expression=refuse_at_signs)

    assert ("error", "expression-invalid", "computed", 7) in summarize(problems)
