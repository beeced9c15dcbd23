"""BPMN models for the simulation tests, built from a compact description."""

from __future__ import annotations

from itertools import pairwise

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_sim" targetNamespace="http://example.com">\n'
)


def model(body: str, *, lanes: dict[str, list[str]] | None = None, process_id: str = "Sim") -> bytes:
    """A process ``process_id`` holding ``body`` (flow nodes and flows) and, if given, one lane set."""
    lane_xml = ""
    if lanes:
        inner = "".join(
            f'<bpmn:lane id="{lane_id}" name="{lane_id} lane">'
            + "".join(f"<bpmn:flowNodeRef>{node_id}</bpmn:flowNodeRef>" for node_id in node_ids)
            + "</bpmn:lane>"
            for lane_id, node_ids in lanes.items()
        )
        lane_xml = f'<bpmn:laneSet id="LaneSet_1">{inner}</bpmn:laneSet>\n'
    process = f'<bpmn:process id="{process_id}" isExecutable="true">\n{lane_xml}{body}</bpmn:process>\n'
    return (HEADER + process + "</bpmn:definitions>\n").encode()


def flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>\n'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>\n"
    )


def chain(*node_ids: str, prefix: str = "F") -> str:
    """Flows joining the nodes one after another: F_a_b from a to b."""
    return "".join(flow(f"{prefix}_{a}_{b}", a, b) for a, b in pairwise(node_ids))


def single_task(
    task: str = '<bpmn:userTask id="Work" name="Work"/>', lanes: dict[str, list[str]] | None = None
) -> bytes:
    """Start, one task ``Work``, end."""
    body = '<bpmn:startEvent id="Start"/>\n' + task + '\n<bpmn:endEvent id="End"/>\n' + chain("Start", "Work", "End")
    return model(body, lanes=lanes)
