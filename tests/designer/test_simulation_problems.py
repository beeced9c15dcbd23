"""Bad models and parameters are refused with every problem named, never a traceback or a hang."""

from __future__ import annotations

from typing import Any

import pytest

from apps.designer.simulation import SimulationInvalid, simulate
from tests.designer.simulation_models import chain, flow, model, single_task


def problems_of(xml: bytes, parameters: Any, seed: Any = 1) -> list[tuple[str, str | None, str | None]]:
    with pytest.raises(SimulationInvalid) as refused:
        simulate(xml, parameters, seed=seed)
    return [(problem.code, problem.element_id, problem.parameter) for problem in refused.value.problems]


def choice_model(
    after: str = '<bpmn:endEvent id="EndA"/><bpmn:endEvent id="EndB"/>', a: str = "EndA", b: str = "EndB"
) -> bytes:
    """Start, an exclusive gateway ``Choice`` with flows ``ToA`` and ``ToB`` to ``a`` and ``b``, then ``after``."""
    body = '<bpmn:startEvent id="Start"/><bpmn:exclusiveGateway id="Choice"/>' + after + chain("Start", "Choice")
    return model(body + flow("ToA", "Choice", a) + flow("ToB", "Choice", b))


def test_unknown_element_ids_are_each_named() -> None:
    parameters = {"activities": {"Ghost": {"duration": 1}, "Start": {"duration": 1}}, "probabilities": {"Nowhere": 0.5}}

    assert problems_of(single_task(), parameters) == [
        ("element-unknown", "Ghost", "activities.Ghost"),
        ("element-unknown", "Start", "activities.Start"),
        ("element-unknown", "Nowhere", "probabilities.Nowhere"),
    ]


@pytest.mark.parametrize(
    ("duration", "code", "parameter"),
    [
        (-1, "duration-negative", "activities.Work.duration.value"),
        ({"type": "exponential", "mean": -2}, "duration-negative", "activities.Work.duration.mean"),
        ({"type": "exponential", "mean": 0}, "duration-invalid", "activities.Work.duration"),
        ({"type": "uniform", "min": 5, "max": 1}, "duration-invalid", "activities.Work.duration"),
        ({"type": "triangular", "min": 1, "mode": 9, "max": 3}, "duration-invalid", "activities.Work.duration"),
        ({"type": "gamma", "mean": 1}, "duration-type-unknown", "activities.Work.duration"),
        ({"type": "normal", "mean": 1}, "duration-invalid", "activities.Work.duration.sd"),
        ({"type": "fixed", "value": 1, "sd": 2}, "duration-field-unknown", "activities.Work.duration"),
        ("ten", "duration-invalid", "activities.Work.duration"),
        (True, "duration-invalid", "activities.Work.duration"),
    ],
)
def test_negative_and_malformed_durations_are_refused(duration: Any, code: str, parameter: str) -> None:
    assert problems_of(single_task(), {"activities": {"Work": {"duration": duration}}}) == [(code, "Work", parameter)]


def test_probabilities_of_a_gateway_must_add_up_to_one() -> None:
    assert problems_of(choice_model(), {"probabilities": {"ToA": 0.5, "ToB": 0.6}}) == [
        ("probabilities-not-one", "Choice", "probabilities")
    ]
    assert problems_of(choice_model(), {"probabilities": {"ToA": 0.3, "ToB": 0.3}}) == [
        ("probabilities-not-one", "Choice", "probabilities")
    ]
    assert problems_of(choice_model(), {"probabilities": {"ToA": 1.5}}) == [
        ("probability-invalid", "ToA", "probabilities.ToA")
    ]


def test_the_message_names_the_gateway_and_the_sum() -> None:
    with pytest.raises(SimulationInvalid) as refused:
        simulate(choice_model(), {"probabilities": {"ToA": 0.5, "ToB": 0.6}})
    (problem,) = refused.value.problems
    assert problem.message == (
        "The probabilities of the flows leaving gateway 'Choice' add up to 1.1; they must add up to 1."
    )
    assert problem.line == 4  # the gateway's line in the model


def test_a_probability_on_a_flow_that_is_not_chosen_is_refused() -> None:
    assert problems_of(single_task(), {"probabilities": {"F_Start_Work": 0.5}}) == [
        ("probability-not-applicable", "F_Start_Work", "probabilities.F_Start_Work")
    ]


def test_a_model_without_a_start_event_is_refused() -> None:
    body = '<bpmn:userTask id="Work"/><bpmn:endEvent id="End"/>' + chain("Work", "End")

    assert problems_of(model(body), {}) == [("no-start-event", "Sim", None)]


def test_unsupported_elements_are_each_named() -> None:
    body = '<bpmn:startEvent id="Start"/><bpmn:complexGateway id="Complex"/><bpmn:endEvent id="End"/>' + chain(
        "Start", "Complex", "End"
    )

    assert problems_of(model(body), {}) == [("element-unsupported", "Complex", None)]


def test_xml_that_cannot_be_read_gives_the_parser_problem() -> None:
    assert [code for code, _, _ in problems_of(b"<not-closed", {})] == ["xml-syntax"]
    assert problems_of(b"<root/>", {}) == [("not-bpmn-definitions", None, None)]


def test_run_wide_parameters_are_checked() -> None:
    parameters = {
        "instances": 100_001,
        "arrival": {"rate_per_hour": 0},
        "max_steps_per_instance": 0,
        "process": "Other",
        "colour": "red",
    }

    assert problems_of(single_task(), parameters, seed=-1) == [
        ("seed-invalid", None, "seed"),
        ("parameter-unknown", None, "colour"),
        ("parameter-invalid", None, "instances"),
        ("parameter-invalid", None, "max_steps_per_instance"),
        ("arrival-invalid", None, "arrival.rate_per_hour"),
        ("process-unknown", "Other", "process"),
    ]


def test_parameters_must_be_an_object() -> None:
    assert problems_of(single_task(), ["instances", 5]) == [("parameter-invalid", None, None)]


def test_resources_must_be_needed_and_counted_in_whole_people() -> None:
    parameters = {"resources": {"Desk": 0, "Nobody": 2}}

    assert problems_of(single_task(lanes={"Desk": ["Work"]}), parameters) == [
        ("resource-invalid", None, "resources.Desk"),
        ("resource-unknown", None, "resources.Nobody"),
    ]


def test_parameters_of_elements_inside_a_subprocess_say_so() -> None:
    body = (
        '<bpmn:startEvent id="Start"/><bpmn:subProcess id="Sub"><bpmn:startEvent id="InnerStart"/>'
        '<bpmn:userTask id="Inner"/><bpmn:sequenceFlow id="FI" sourceRef="InnerStart" targetRef="Inner"/>'
        '</bpmn:subProcess><bpmn:endEvent id="End"/>' + chain("Start", "Sub", "End")
    )

    assert problems_of(model(body), {"activities": {"Inner": {"duration": 1}}}) == [
        ("element-inside-subprocess", "Inner", "activities.Inner")
    ]
    # while the subprocess itself is one activity
    result = simulate(model(body), {"instances": 2, "activities": {"Sub": {"duration": 4}}}, seed=1)
    assert result["cycle_time"]["max"] == 4.0


def test_a_loop_that_never_ends_is_an_error_naming_where_it_was() -> None:
    body = (
        '<bpmn:startEvent id="Start"/><bpmn:exclusiveGateway id="Merge"/><bpmn:serviceTask id="Work"/>'
        '<bpmn:exclusiveGateway id="Again"/><bpmn:endEvent id="End"/>'
        + chain("Start", "Merge", "Work", "Again")
        + flow("Back", "Again", "Merge")
        + flow("Done", "Again", "End")
    )
    parameters = {"probabilities": {"Back": 1, "Done": 0}, "max_steps_per_instance": 50}

    ((code, element_id, parameter),) = problems_of(model(body), parameters)

    assert code == "step-limit-reached"
    assert element_id in {"Merge", "Work", "Again"}
    assert parameter == "max_steps_per_instance"


def test_tokens_waiting_forever_at_a_join_are_an_error() -> None:
    # An exclusive choice feeding a parallel join: the join waits for a token that never comes
    xml = choice_model(
        '<bpmn:parallelGateway id="Join"/><bpmn:endEvent id="End"/>' + chain("Join", "End"), "Join", "Join"
    )

    assert problems_of(xml, {"instances": 10}) == [("instances-stuck", "Join", None)]


def test_every_problem_is_reported_at_once() -> None:
    parameters = {
        "activities": {"Work": {"duration": -3, "colour": 1}},
        "resources": {"Desk": 1.5},
        "instances": "many",
    }

    codes = [code for code, _, _ in problems_of(single_task(lanes={"Desk": ["Work"]}), parameters)]

    assert codes == ["parameter-invalid", "parameter-unknown", "duration-negative", "resource-invalid"]
