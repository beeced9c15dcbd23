"""The parser turns BPMN XML into frozen specs: every node, flow and root element, with lines."""

from __future__ import annotations

import dataclasses

import pytest

from apps.engine.bpmn.parser import parse_definitions
from apps.engine.bpmn.spec import (
    Artifact,
    BoundaryEvent,
    ComplexGateway,
    EndEvent,
    EscalationEventDefinition,
    ExclusiveGateway,
    Import,
    InclusiveGateway,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    Lane,
    LinkEventDefinition,
    MessageEventDefinition,
    MessageFlow,
    Participant,
    ReceiveTask,
    SignalEventDefinition,
    StartEvent,
    SubProcess,
    Task,
    TerminateEventDefinition,
    TimerEventDefinition,
    UnsupportedNode,
)
from tests.engine.bpmn.modeling import parse_model, read_model, summarize


def test_a_minimal_process_becomes_nodes_and_flows_with_incoming_and_outgoing():
    definitions = parse_model("minimal.bpmn")

    process = definitions.processes["minimal"]
    assert (definitions.id, definitions.target_namespace, definitions.has_diagram) == (
        "Defs_minimal",
        "http://example.com/bpmn",
        False,
    )
    assert (process.id, process.name, process.is_executable, process.line) == ("minimal", "Minimal", True, 3)
    assert process.start_node_ids == ("start",)
    assert process.nodes["start"] == StartEvent(id="start", tag="startEvent", line=4, outgoing=("f1",))
    assert process.nodes["work"] == Task(id="work", tag="task", name="Work", line=6, incoming=("f1",), outgoing=("f2",))
    assert process.nodes["end"] == EndEvent(id="end", tag="endEvent", line=8, incoming=("f2",))
    assert [(flow.id, flow.source, flow.target, flow.line) for flow in process.flows.values()] == [
        ("f1", "start", "work", 5),
        ("f2", "work", "end", 7),
    ]


def test_specs_are_frozen_and_their_mappings_read_only():
    process = parse_model("minimal.bpmn").processes["minimal"]

    with pytest.raises(dataclasses.FrozenInstanceError):
        process.nodes["work"].name = "Changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        process.nodes["other"] = process.nodes["work"]  # type: ignore[index]


def test_collaboration_pools_lanes_message_flows_and_root_elements_are_kept():
    definitions = parse_model("collaboration.bpmn")

    assert definitions.name == "Ordering"
    assert definitions.has_diagram is True
    assert definitions.imports == (
        Import(
            namespace="http://example.com/types",
            location="types.xsd",
            import_type="http://www.w3.org/2001/XMLSchema",
            line=3,
        ),
    )
    (collaboration,) = definitions.collaborations
    assert collaboration.participants == (
        Participant(id="customer_pool", name="Customer", process_ref=None, line=5),
        Participant(id="shop_pool", name="Shop", process_ref="shop", line=6),
        Participant(id="stock_pool", name="Stock", process_ref="stock", line=7),
    )
    assert collaboration.message_flows[0] == MessageFlow(
        id="order_flow", source="customer_pool", target="receive_order", message_ref="Message_Order", line=8
    )
    assert definitions.messages["Message_Order"].name == "order"
    assert definitions.errors["Error_Stock"].error_code == "E42"
    assert definitions.signals["Signal_Closed"].name == "closed"
    assert definitions.escalations["Escalation_Late"].escalation_code == "LATE"
    assert definitions.processes["shop"].lanes == (
        Lane(id="sales", name="Sales", line=17, flow_node_ids=("start",)),
        Lane(id="front_desk", name="Front desk", line=20, flow_node_ids=("receive_order",), parent_lane_id="sales"),
        Lane(id="warehouse", name="Warehouse", line=25, flow_node_ids=("pack", "end")),
    )
    assert definitions.processes["shop"].artifacts == (
        Artifact(id="note", tag="textAnnotation", line=47),
        Artifact(id="note_link", tag="association", line=50, source="pack", target="note"),
    )
    assert isinstance(definitions.processes["shop"].nodes["receive_order"], ReceiveTask)


def test_subprocesses_are_scopes_of_their_own_found_by_id():
    process = parse_model("collaboration.bpmn").processes["shop"]

    pack = process.nodes["pack"]
    assert isinstance(pack, SubProcess)
    assert list(process.nodes) == ["start", "receive_order", "pack", "end"]
    assert list(pack.nodes) == ["pack_start", "pick", "pack_end"]
    assert pack.start_node_ids == ("pack_start",)
    assert (pack.incoming, pack.outgoing) == (("f2",), ("f3",))
    assert list(process.scopes) == ["pick", "pack"]
    assert process.scopes["pick"].start_node_ids == ("pick_start",)
    assert process.scope_of["pick_end"] == "pick"
    assert process.scope_of["p2"] == "pack"
    assert process.scope_of["f3"] == "shop"
    assert process.find_node("pick_end") == process.scopes["pick"].nodes["pick_end"]
    assert process.find_node("nowhere") is None
    assert [scope.id for scope in process.all_scopes()] == ["shop", "pick", "pack"]


def test_events_keep_their_event_definitions():
    stock = parse_model("collaboration.bpmn").processes["stock"]

    assert stock.is_executable is False
    assert stock.nodes["stock_start"].event_definitions == (  # type: ignore[attr-defined]
        MessageEventDefinition(line=54, message_ref="Message_Order"),
    )
    assert stock.nodes["stock_wait"] == IntermediateCatchEvent(
        id="stock_wait",
        tag="intermediateCatchEvent",
        line=57,
        incoming=("s1",),
        outgoing=("s2",),
        event_definitions=(
            TimerEventDefinition(id="stock_timer", line=58, timer_type="duration", text="PT2H", value="PT2H"),
        ),
    )
    assert isinstance(stock.nodes["stock_jump"], IntermediateThrowEvent)
    assert stock.nodes["stock_jump"].event_definitions == (LinkEventDefinition(line=64, name="continue"),)
    assert stock.nodes["stock_end"].event_definitions == (  # type: ignore[attr-defined]
        EscalationEventDefinition(line=71, escalation_ref="Escalation_Late"),
    )


def test_elements_the_engine_does_not_run_are_parsed_not_dropped():
    process = parse_model("unsupported_elements.bpmn").processes["unsupported"]

    boundary = process.nodes["too_late"]
    assert isinstance(boundary, BoundaryEvent)
    assert (boundary.attached_to, boundary.cancel_activity) == ("wait", True)
    assert process.nodes["wait"].boundary_event_ids == ("too_late",)  # type: ignore[attr-defined]
    assert isinstance(process.nodes["mix"], ComplexGateway)
    assert process.nodes["booking"].tag == "transaction"
    assert process.nodes["huddle"] == UnsupportedNode(
        id="huddle", tag="choreographyTask", line=27, incoming=("f5",), outgoing=("f6",)
    )
    on_cancel = process.scopes["on_cancel"]
    assert on_cancel.triggered_by_event is True
    assert on_cancel.nodes["cancel_requested"].event_definitions == (SignalEventDefinition(line=32),)  # type: ignore[attr-defined]
    assert on_cancel.nodes["cancelled"].event_definitions == (TerminateEventDefinition(line=36),)  # type: ignore[attr-defined]


def test_conditions_and_defaults_are_kept_as_source_text_with_their_line():
    process = parse_model("gateway_conditions.bpmn").processes["gateways"]

    assert process.flows["big"].condition is not None
    assert (process.flows["big"].condition.text, process.flows["big"].condition.line) == ("${amount > 1000}", 8)
    # A Zeebe-style leading '=' stays: it tells the expression package to read FEEL rules.
    assert process.flows["audit"].condition.text == "= audit = true"  # type: ignore[union-attr]
    assert process.flows["small"].condition is None
    assert isinstance(process.nodes["choose"], ExclusiveGateway)
    fork = process.nodes["fork"]
    assert isinstance(fork, InclusiveGateway)
    assert (fork.default_flow, fork.outgoing) == ("otherwise", ("audit", "notify", "otherwise"))


def test_elements_without_ids_and_bad_attributes_are_problems_with_lines():
    result = parse_definitions(read_model("parse_problems.bpmn"))

    assert summarize(result.problems) == [
        ("error", "attribute-invalid", "start", 4),
        ("error", "element-id-missing", None, 6),
        ("error", "element-id-missing", None, 7),
        ("error", "element-id-missing", None, 10),
    ]
    assert result.definitions is not None
    assert list(result.definitions.processes) == ["parse"]
    assert list(result.definitions.processes["parse"].nodes) == ["start", "end"]


def test_duplicate_ids_are_recorded_and_the_first_element_kept():
    definitions = parse_model("duplicate_ids.bpmn")

    assert [(d.element_id, d.line, d.first_line, d.process_id) for d in definitions.duplicate_ids] == [
        ("work", 7, 6, "duplicates"),
        ("sketch_end", 15, 14, "sketch"),
    ]
    assert definitions.processes["duplicates"].nodes["work"].name == "First"
