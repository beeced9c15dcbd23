"""The simulator against models whose figures are known: queueing theory, fixed times, shares, joins, loops."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from apps.designer.simulation import simulate
from tests.designer.simulation_models import chain, flow, model, single_task


def exponential(mean: float) -> dict[str, Any]:
    return {"type": "exponential", "mean": mean}


def service(task_id: str) -> str:
    return f'<bpmn:serviceTask id="{task_id}" camunda:type="external" camunda:topic="t"/>\n'


def test_an_m_m_1_queue_has_the_mean_cycle_time_and_utilization_of_queueing_theory() -> None:
    # Given Poisson arrivals at 6 an hour and one clerk working exponentially at 10 an hour
    arrival_rate, service_rate = 6.0, 10.0
    parameters = {
        "instances": 100_000,
        "arrival": {"rate_per_hour": arrival_rate},
        "activities": {"Work": {"duration": exponential(60 / service_rate)}},
        "resources": {"Clerks": 1},
    }

    result = simulate(single_task(lanes={"Clerks": ["Work"]}), parameters, seed=7)

    # Then the mean time in the system is 1 / (mu - lambda) = 15 minutes, within 3 %
    expected_minutes = 60 / (service_rate - arrival_rate)
    assert result["cycle_time"]["mean"] == pytest.approx(expected_minutes, rel=0.03)
    # and the clerk is busy lambda / mu of the time
    (clerks,) = result["resources"]
    assert clerks["id"] == "Clerks"
    assert clerks["capacity"] == 1
    assert clerks["utilization"] == pytest.approx(arrival_rate / service_rate, abs=0.01)
    # and the mean wait in the queue is rho / (mu - lambda) = 9 minutes
    (work,) = result["activities"]
    assert work["mean_waiting"] == pytest.approx(0.6 * expected_minutes, rel=0.05)
    assert work["mean_processing"] == pytest.approx(6.0, rel=0.02)
    assert result["throughput_per_hour"] == pytest.approx(arrival_rate, rel=0.02)
    assert result["instances"] == {"started": 100_000, "completed": 100_000}
    assert result["bottleneck"]["activity"] == "Work"
    assert result["bottleneck"]["resource"] == "Clerks"


def test_fixed_times_without_queueing_give_exact_figures() -> None:
    # Given an instance every 10 minutes through two tasks of 3 and 4 minutes in lanes of one person each
    body = (
        '<bpmn:startEvent id="Start"/><bpmn:userTask id="A"/><bpmn:userTask id="B"/><bpmn:endEvent id="End"/>\n'
        + chain("Start", "A", "B", "End")
    )
    parameters = {
        "instances": 10,
        "arrival": {"interval_minutes": 10},
        "activities": {"A": {"duration": 3}, "B": {"duration": {"type": "fixed", "value": 4}}},
    }

    result = simulate(model(body, lanes={"First": ["A"], "Second": ["B"]}), parameters, seed=1)

    cycle = result["cycle_time"]
    assert (cycle["min"], cycle["mean"], cycle["p50"], cycle["p95"], cycle["max"]) == (7.0, 7.0, 7.0, 7.0, 7.0)
    assert result["span_minutes"] == 97.0  # the last arrives at 90 and ends 7 minutes later
    assert result["throughput_per_hour"] == round(10 / (97 / 60), 4)
    assert [(row["id"], row["busy_minutes"], row["utilization"]) for row in result["resources"]] == [
        ("First", 30.0, round(30 / 97, 4)),
        ("Second", 40.0, round(40 / 97, 4)),
    ]
    assert [(row["id"], row["count"], row["mean_waiting"], row["mean_processing"]) for row in result["activities"]] == [
        ("A", 10, 0.0, 3.0),
        ("B", 10, 0.0, 4.0),
    ]
    assert result["bottleneck"]["activity"] is None
    assert result["heat"]["elements"] == {"A": 0.75, "B": 1.0}


def test_a_queue_in_front_of_one_person_grows_by_the_gap_between_arrival_and_work() -> None:
    # Given arrivals every 2 minutes at a 3-minute task of one person: the k-th (from 0) waits k minutes
    parameters = {"instances": 5, "arrival": {"interval_minutes": 2}, "activities": {"Work": {"duration": 3}}}

    result = simulate(single_task(lanes={"Desk": ["Work"]}), parameters, seed=1)

    assert result["cycle_time"]["mean"] == 5.0  # 3, 4, 5, 6, 7
    assert result["cycle_time"]["max"] == 7.0
    (work,) = result["activities"]
    assert (work["mean_waiting"], work["total_waiting"]) == (2.0, 10.0)
    assert result["resources"][0]["utilization"] == round(15 / 15, 4)  # busy from 0 to the end at 15
    assert result["bottleneck"]["activity"] == "Work"


def test_a_second_person_removes_the_queue() -> None:
    parameters = {
        "instances": 5,
        "arrival": {"interval_minutes": 2},
        "activities": {"Work": {"duration": 3}},
        "resources": {"Desk": 2},
    }

    result = simulate(single_task(lanes={"Desk": ["Work"]}), parameters, seed=1)

    assert result["cycle_time"]["max"] == 3.0
    assert result["activities"][0]["total_waiting"] == 0.0
    assert result["resources"][0]["utilization"] == round(15 / (2 * 11), 4)


def test_a_candidate_group_is_the_resource_of_a_task_in_no_lane() -> None:
    task = '<bpmn:userTask id="Work" camunda:candidateGroups="accounting, sales"/>'
    parameters = {"instances": 3, "arrival": {"interval_minutes": 1}, "activities": {"Work": {"duration": 2}}}

    result = simulate(single_task(task), parameters, seed=1)

    assert [row["id"] for row in result["resources"]] == ["accounting"]
    assert result["activities"][0]["resource"] == "accounting"
    assert result["activities"][0]["total_waiting"] == 3.0  # 0, 1, 2


def test_defaults_give_user_tasks_ten_minutes_and_service_tasks_none() -> None:
    body = (
        '<bpmn:startEvent id="Start"/><bpmn:userTask id="Human"/>'
        + service("Machine")
        + '<bpmn:endEvent id="End"/>'
        + chain("Start", "Human", "Machine", "End")
    )

    result = simulate(model(body), {"instances": 2, "arrival": {"interval_minutes": 60}}, seed=1)

    assert result["cycle_time"]["max"] == 10.0
    assert [(row["id"], row["resource"], row["duration"]) for row in result["activities"]] == [
        ("Human", None, {"type": "fixed", "value": 10.0}),
        ("Machine", None, {"type": "fixed", "value": 0.0}),
    ]


def exclusive_split(shares: dict[str, float] | None, branches: int = 2) -> tuple[bytes, dict[str, Any]]:
    ends = "".join(f'<bpmn:endEvent id="End{number}"/>' for number in range(branches))
    flows = "".join(flow(f"To{number}", "Choice", f"End{number}") for number in range(branches))
    body = '<bpmn:startEvent id="Start"/><bpmn:exclusiveGateway id="Choice"/>' + ends + chain("Start", "Choice") + flows
    parameters: dict[str, Any] = {"instances": 20_000, "arrival": {"interval_minutes": 1}}
    if shares is not None:
        parameters["probabilities"] = shares
    return model(body), parameters


def test_an_exclusive_gateway_takes_each_flow_by_its_probability() -> None:
    xml, parameters = exclusive_split({"To0": 0.2, "To1": 0.8})

    counts = simulate(xml, parameters, seed=3)["element_counts"]

    assert counts["End0"] + counts["End1"] == 20_000
    assert counts["End0"] / 20_000 == pytest.approx(0.2, abs=0.01)


def test_flows_without_probabilities_share_equally_what_is_left() -> None:
    xml, parameters = exclusive_split(None, branches=4)
    counts = simulate(xml, parameters, seed=3)["element_counts"]
    assert [counts[f"End{number}"] / 20_000 for number in range(4)] == pytest.approx([0.25] * 4, abs=0.01)

    xml, parameters = exclusive_split({"To0": 0.4}, branches=3)
    counts = simulate(xml, parameters, seed=3)["element_counts"]
    assert [counts[f"End{number}"] / 20_000 for number in range(3)] == pytest.approx([0.4, 0.3, 0.3], abs=0.01)


def test_a_parallel_join_waits_for_the_slowest_branch() -> None:
    # Given three branches of 5, 8 and 3 minutes between a parallel split and join
    branches = ("A", "B", "C")
    body = '<bpmn:startEvent id="Start"/><bpmn:parallelGateway id="Split"/><bpmn:parallelGateway id="Join"/>'
    body += "".join(service(task) for task in branches) + '<bpmn:endEvent id="End"/>'
    body += chain("Start", "Split") + chain("Join", "End")
    body += "".join(chain("Split", task, "Join") for task in branches)
    durations = {"A": 5, "B": 8, "C": 3}
    parameters = {
        "instances": 50,
        "arrival": {"rate_per_hour": 30},
        "activities": {task: {"duration": minutes} for task, minutes in durations.items()},
    }

    result = simulate(model(body), parameters, seed=5)

    assert result["cycle_time"]["min"] == result["cycle_time"]["max"] == 8.0
    assert result["element_counts"]["Join"] == 150
    assert result["element_counts"]["End"] == 50


def test_an_inclusive_join_waits_only_for_the_branches_taken() -> None:
    # Given an inclusive split taking each of two branches with probability 0.5 (never neither)
    body = '<bpmn:startEvent id="Start"/><bpmn:inclusiveGateway id="Split"/><bpmn:inclusiveGateway id="Join"/>'
    body += service("Short") + service("Long") + '<bpmn:endEvent id="End"/>'
    body += (
        chain("Start", "Split")
        + chain("Join", "End")
        + chain("Split", "Short", "Join")
        + chain("Split", "Long", "Join")
    )
    parameters = {
        "instances": 30_000,
        "arrival": {"interval_minutes": 1},
        "activities": {"Short": {"duration": 4}, "Long": {"duration": 6}},
    }

    result = simulate(model(body), parameters, seed=11)

    # Then both, only the short one and only the long one each happen a third of the time: 4, 6 and 6 minutes
    assert result["cycle_time"]["min"] == 4.0
    assert result["cycle_time"]["max"] == 6.0
    assert result["cycle_time"]["mean"] == pytest.approx(16 / 3, rel=0.01)
    assert result["element_counts"]["End"] == 30_000


def loop_model() -> bytes:
    body = (
        '<bpmn:startEvent id="Start"/><bpmn:exclusiveGateway id="Merge"/>'
        + service("Work")
        + '<bpmn:exclusiveGateway id="Again"/><bpmn:endEvent id="End"/>'
        + chain("Start", "Merge", "Work", "Again")
        + flow("Back", "Again", "Merge")
        + flow("Done", "Again", "End")
    )
    return model(body)


def test_a_loop_repeats_by_its_probability() -> None:
    # Given a one-minute step repeated with probability 0.5: two rounds on average
    parameters = {
        "instances": 20_000,
        "arrival": {"interval_minutes": 1},
        "activities": {"Work": {"duration": 1}},
        "probabilities": {"Back": 0.5, "Done": 0.5},
    }

    result = simulate(loop_model(), parameters, seed=2)

    assert result["element_counts"]["Work"] / 20_000 == pytest.approx(2.0, rel=0.02)
    assert result["cycle_time"]["mean"] == pytest.approx(2.0, rel=0.02)
    assert result["cycle_time"]["min"] == 1.0


def test_an_interrupting_boundary_event_takes_its_share_of_the_work() -> None:
    body = (
        '<bpmn:startEvent id="Start"/><bpmn:userTask id="Work"/><bpmn:endEvent id="End"/>'
        '<bpmn:boundaryEvent id="Late" attachedToRef="Work"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:endEvent id="Escalated"/>' + chain("Start", "Work", "End") + chain("Late", "Escalated")
    )
    parameters = {"instances": 20_000, "arrival": {"interval_minutes": 20}, "probabilities": {"Late": 0.3}}

    counts = simulate(model(body), parameters, seed=4)["element_counts"]

    assert counts["Escalated"] + counts["End"] == 20_000
    assert counts["Escalated"] / 20_000 == pytest.approx(0.3, abs=0.01)


def test_a_terminate_end_event_ends_the_other_branches() -> None:
    body = (
        '<bpmn:startEvent id="Start"/><bpmn:parallelGateway id="Split"/>'
        + service("Slow")
        + '<bpmn:endEvent id="Stop"><bpmn:terminateEventDefinition/></bpmn:endEvent><bpmn:endEvent id="End"/>'
        + chain("Start", "Split")
        + chain("Split", "Stop")
        + chain("Split", "Slow", "End")
    )
    parameters = {"instances": 3, "arrival": {"interval_minutes": 5}, "activities": {"Slow": {"duration": 30}}}

    result = simulate(model(body), parameters, seed=1)

    assert result["cycle_time"]["max"] == 0.0
    assert result["element_counts"]["End"] == 0


def test_a_catch_event_waits_its_duration_and_a_link_jumps() -> None:
    body = (
        '<bpmn:startEvent id="Start"/><bpmn:intermediateCatchEvent id="Wait"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:intermediateThrowEvent id="Jump"><bpmn:linkEventDefinition name="on"/></bpmn:intermediateThrowEvent>'
        '<bpmn:intermediateCatchEvent id="Land"><bpmn:linkEventDefinition name="on"/></bpmn:intermediateCatchEvent>'
        '<bpmn:endEvent id="End"/>' + chain("Start", "Wait", "Jump") + chain("Land", "End")
    )
    parameters = {"instances": 2, "activities": {"Wait": {"duration": 60}}}

    result = simulate(model(body), parameters, seed=1)

    assert result["cycle_time"]["max"] == 60.0
    assert result["element_counts"]["End"] == 2
    assert [(row["id"], row["kind"]) for row in result["activities"]] == [("Wait", "event")]


@pytest.mark.parametrize(
    "duration",
    [
        {"type": "uniform", "min": 2, "max": 4},
        {"type": "triangular", "min": 1, "mode": 2, "max": 6},
        {"type": "normal", "mean": 3, "sd": 0.5},
        {"type": "lognormal", "mean": 3, "sd": 1},
        {"type": "exponential", "mean": 3},
    ],
)
def test_each_distribution_has_its_mean(duration: dict[str, Any]) -> None:
    parameters = {
        "instances": 20_000,
        "arrival": {"interval_minutes": 1},
        "activities": {"Work": {"duration": duration}},
    }

    result = simulate(single_task(), parameters, seed=9)

    assert result["activities"][0]["mean_processing"] == pytest.approx(3.0, rel=0.03)
    assert result["cycle_time"]["min"] >= 0


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_figures() -> None:
    parameters = {
        "instances": 2_000,
        "activities": {"Work": {"duration": exponential(8)}},
        "probabilities": {"Back": 0.3},
    }
    xml = loop_model()

    first = json.dumps(simulate(xml, parameters, seed=42), sort_keys=False)
    again = json.dumps(simulate(xml, parameters, seed=42), sort_keys=False)
    other = json.dumps(simulate(xml, parameters, seed=43), sort_keys=False)

    assert first == again
    assert first != other


def test_the_histogram_counts_every_instance() -> None:
    parameters = {"instances": 1_000, "activities": {"Work": {"duration": exponential(5)}}}

    cycle = simulate(single_task(), parameters, seed=1)["cycle_time"]

    assert len(cycle["histogram"]) == 20
    assert sum(bin_["count"] for bin_ in cycle["histogram"]) == 1_000
    assert cycle["histogram"][-1]["to"] == cycle["max"]
    assert cycle["p50"] <= cycle["p90"] <= cycle["p95"] <= cycle["max"]


def timer(duration: str) -> str:
    return f"<bpmn:timerEventDefinition><bpmn:timeDuration>{duration}</bpmn:timeDuration></bpmn:timerEventDefinition>"


def test_a_timer_catch_event_waits_its_written_duration_unless_told_otherwise() -> None:
    body = (
        f'<bpmn:startEvent id="Start"/><bpmn:intermediateCatchEvent id="Wait">{timer("P1DT2H")}'
        '</bpmn:intermediateCatchEvent><bpmn:intermediateCatchEvent id="Computed">'
        f"{timer('${delay}')}</bpmn:intermediateCatchEvent>"
        '<bpmn:endEvent id="End"/>' + chain("Start", "Wait", "Computed", "End")
    )

    as_written = simulate(model(body), {"instances": 2}, seed=1)
    told = simulate(model(body), {"instances": 2, "activities": {"Computed": {"duration": 5}}}, seed=1)

    # A day and two hours is 1,560 minutes; a duration computed from variables is known only at run time: 0.
    assert as_written["cycle_time"]["max"] == 1560.0
    assert told["cycle_time"]["max"] == 1565.0


def boundary_timer_model(interrupting: bool) -> bytes:
    cancel = "" if interrupting else ' cancelActivity="false"'
    body = (
        '<bpmn:startEvent id="Start"/><bpmn:userTask id="Work"/><bpmn:endEvent id="End"/>'
        f'<bpmn:boundaryEvent id="Late" attachedToRef="Work"{cancel}>{timer("PT10M")}</bpmn:boundaryEvent>'
        '<bpmn:userTask id="Chase"/><bpmn:endEvent id="Chased"/>'
        + chain("Start", "Work", "End")
        + chain("Late", "Chase", "Chased")
    )
    return model(body, lanes={"Clerks": ["Work"], "Managers": ["Chase"]})


@pytest.mark.parametrize(("work", "cycle", "chased"), [(15, 15.0, 1), (5, 5.0, 0)])
def test_an_interrupting_boundary_timer_cuts_work_that_lasts_longer_than_it_waits(
    work: int, cycle: float, chased: int
) -> None:
    parameters = {
        "instances": 1,
        "activities": {"Work": {"duration": work}, "Chase": {"duration": 5}},
    }

    result = simulate(boundary_timer_model(interrupting=True), parameters, seed=1)

    # Longer work is cut at 10 minutes and chased for 5; shorter work ends by itself.
    assert result["cycle_time"]["max"] == cycle
    assert result["element_counts"]["Chased"] == chased
    assert result["element_counts"]["End"] == 1 - chased
    clerks = next(row for row in result["resources"] if row["id"] == "Clerks")
    assert clerks["busy_minutes"] == min(work, 10)


def test_a_non_interrupting_boundary_timer_adds_a_path_while_the_work_goes_on() -> None:
    parameters = {"instances": 1, "activities": {"Work": {"duration": 30}, "Chase": {"duration": 5}}}

    result = simulate(boundary_timer_model(interrupting=False), parameters, seed=1)

    # The chase runs from minute 10 to 15; the work ends at 30, and with it the instance.
    assert result["cycle_time"]["max"] == 30.0
    assert (result["element_counts"]["End"], result["element_counts"]["Chased"]) == (1, 1)
    clerks = next(row for row in result["resources"] if row["id"] == "Clerks")
    assert clerks["busy_minutes"] == 30.0


def test_a_boundary_timer_fires_as_often_as_the_work_outlasts_it() -> None:
    parameters = {
        "instances": 20_000,
        "arrival": {"interval_minutes": 60},
        "activities": {"Work": {"duration": {"type": "exponential", "mean": 10}}},
        "resources": {"Clerks": 5},
    }

    counts = simulate(boundary_timer_model(interrupting=True), parameters, seed=3)["element_counts"]

    # Exponential work of mean 10 outlasts 10 minutes with probability e^-1.
    assert counts["Late"] / 20_000 == pytest.approx(math.exp(-1), abs=0.01)
    assert counts["Late"] + counts["End"] == 20_000


def test_a_boundary_timer_given_a_probability_fires_by_it_instead() -> None:
    parameters = {"instances": 10_000, "activities": {"Work": {"duration": 30}}, "probabilities": {"Late": 0.25}}

    counts = simulate(boundary_timer_model(interrupting=True), parameters, seed=2)["element_counts"]

    assert counts["Late"] / 10_000 == pytest.approx(0.25, abs=0.015)


def test_a_boundary_timer_counts_from_when_the_token_arrives_so_it_can_take_work_still_waiting_for_a_person() -> None:
    body = (
        '<bpmn:startEvent id="Start"/><bpmn:userTask id="Prepare"/><bpmn:userTask id="Work"/><bpmn:endEvent id="End"/>'
        f'<bpmn:boundaryEvent id="Late" attachedToRef="Work">{timer("PT10M")}</bpmn:boundaryEvent>'
        '<bpmn:userTask id="Chase"/><bpmn:endEvent id="Chased"/>'
        + chain("Start", "Prepare", "Work", "End")
        + chain("Late", "Chase", "Chased")
    )
    parameters = {
        "instances": 2,
        "arrival": {"interval_minutes": 1},
        "activities": {"Prepare": {"duration": 30}, "Work": {"duration": 5}, "Chase": {"duration": 5}},
    }

    result = simulate(model(body, lanes={"Clerks": ["Prepare", "Work"], "Managers": ["Chase"]}), parameters, seed=1)

    # The first instance's Work waits from 30 for the clerk, busy with the second's Prepare until
    # 60: its timer takes it at 40, still unstarted, and it is chased until 45. The second works at 60-65.
    assert (result["cycle_time"]["min"], result["cycle_time"]["max"]) == (45.0, 64.0)
    assert (result["element_counts"]["Chased"], result["element_counts"]["End"]) == (1, 1)
    work = next(row for row in result["activities"] if row["id"] == "Work")
    assert (work["count"], work["total_waiting"], work["total_processing"]) == (1, 10.0, 5.0)
    clerks = next(row for row in result["resources"] if row["id"] == "Clerks")
    assert clerks["busy_minutes"] == 65.0
