"""Camunda 7 and Zeebe settings are read into one ExtensionConfig shape."""

from __future__ import annotations

from apps.engine.bpmn.parser import parse_definitions
from apps.engine.bpmn.spec import (
    CallActivity,
    CallMapping,
    Expression,
    Feature,
    FormConstraint,
    FormField,
    FormRef,
    Implementation,
    IoMapping,
    MultiInstance,
    ScriptTask,
    StandardLoop,
)
from tests.engine.bpmn.modeling import parse_model, read_model


def test_a_camunda_user_task_is_read_in_full():
    process = parse_model("camunda_user_task.bpmn").processes["camunda_user"]

    start = process.nodes["start"].extensions
    assert (start.initiator, start.form_key) == ("starter", "embedded:app:forms/start.html")
    task = process.nodes["approve"].extensions
    assert task.assignee == Expression("${starter}", "approve", 6)
    assert task.candidate_users == ("anna", Expression("${backup}", "approve", 6))
    assert task.candidate_groups == ("managers", "finance")
    assert task.due_date == Expression("${now() + duration('P2D')}", "approve", 6)
    assert task.follow_up_date == "2030-01-01T09:00:00"
    assert task.priority == "70"
    assert (task.async_before, task.async_after, task.retry_time_cycle) == (True, True, "R3/PT10M")
    assert task.form_fields == (
        FormField(
            id="amount",
            label="Amount",
            type="long",
            default_value="0",
            constraints=(FormConstraint("required"), FormConstraint("min", "1")),
            properties={"unit": "EUR"},
        ),
        FormField(id="decision", label="Decision", type="enum", values=(("yes", "Approve"), ("no", "Reject"))),
    )
    assert task.inputs == (
        IoMapping("limit", "5000"),
        IoMapping("total", Expression("${price * quantity}", "approve", 26)),
        IoMapping("nothing", None),
    )
    assert task.outputs == (IoMapping("approved", Expression('${decision == "yes"}', "approve", 28)),)
    assert dict(task.properties) == {"category": "finance"}
    assert (task.unsupported, task.ignored) == ((), ())


def test_camunda_service_tasks_name_a_handler_or_an_external_topic():
    nodes = parse_model("camunda_service_tasks.bpmn").processes["camunda_service"].nodes

    assert nodes["charge"].extensions.implementation == Implementation("external", "payments")
    assert nodes["archive"].extensions.implementation == Implementation("handler", "archiveService")
    assert nodes["archive"].extensions.result_variable == "archived"
    assert nodes["mail"].extensions.implementation == Implementation("handler", "notify_customer")
    assert nodes["score"].extensions.implementation == Implementation("external", "scoring")
    assert nodes["topicless"].extensions.implementation is None
    assert nodes["topicless"].extensions.unsupported == (
        Feature("camunda:type", 14, "'external' needs a camunda:topic"),
    )
    assert nodes["computed"].extensions.unsupported == (
        Feature(
            "camunda:delegateExpression", 16, "'${registry.lookup('x')}': only a handler name, ${name}, is supported"
        ),
    )


def test_camunda_call_activity_mappings_are_read():
    call = parse_model("camunda_call_activity.bpmn").processes["camunda_call"].nodes["bill"]

    assert isinstance(call, CallActivity)
    assert call.called_element == "billing"
    assert call.extensions.call_inputs == (
        CallMapping(business_key=Expression("#{execution.processBusinessKey}", "bill", 8)),
        CallMapping(source="order", target="invoiceOrder"),
        CallMapping(source_expression=Expression("${total * 1.2}", "bill", 10), target="gross", local=True),
    )
    assert call.extensions.call_outputs == (
        CallMapping(all_variables=True),
        CallMapping(source="invoiceNumber", target="invoice"),
    )
    assert call.extensions.unsupported == ()


def test_loop_and_multi_instance_settings_of_both_dialects_are_normalised():
    definitions = parse_definitions(read_model("loops.bpmn")).definitions
    assert definitions is not None
    nodes = definitions.processes["loops"].nodes

    assert nodes["each_reviewer"].loop == MultiInstance(  # type: ignore[attr-defined]
        line=7,
        is_sequential=True,
        collection=Expression("${reviewers}", "each_reviewer", 7),
        element_variable="reviewer",
        completion_condition=Expression("${nrOfCompletedInstances == 2}", "each_reviewer", 8),
    )
    assert nodes["three_times"].loop == MultiInstance(  # type: ignore[attr-defined]
        line=13, cardinality=Expression("3", "three_times", 14)
    )
    assert nodes["each_item"].loop == MultiInstance(  # type: ignore[attr-defined]
        line=22,
        collection=Expression("= order.items", "each_item", 24),
        element_variable="item",
        output_collection="results",
        output_element=Expression("= result", "each_item", 24),
    )
    assert nodes["retry"].loop == StandardLoop(  # type: ignore[attr-defined]
        line=30, condition=Expression("${!done}", "retry", 31), test_before=True, maximum=5
    )


def test_zeebe_settings_are_read_into_the_same_shape():
    definitions = parse_model("zeebe.bpmn")
    nodes = definitions.processes["zeebe_order"].nodes

    assert definitions.messages["Message_Paid"].correlation_key == Expression("= orderId", "Message_Paid", 5)
    assert nodes["start"].extensions.form_key == "camunda-forms:bpmn:startForm"
    check = nodes["check"].extensions
    assert check.assignee == Expression("= order.owner", "check", 17)
    assert check.candidate_groups == ("clerks", "managers")
    assert check.candidate_users == (Expression("=reviewers", "check", 17),)
    assert check.due_date == Expression('= now() + duration("P2D")', "check", 18)
    assert check.follow_up_date == "2030-01-01T09:00:00Z"
    assert (check.priority, check.form_key) == ("80", None)
    assert check.form_ref == FormRef(source="zeebe:formDefinition", key="check-form", line=20)
    assert check.inputs == (
        IoMapping("total", Expression("= order.total", "check", 23)),
        IoMapping("currency", "EUR"),
    )
    assert check.outputs == (IoMapping("orderApproved", Expression("= approved", "check", 25)),)
    charge = nodes["charge"].extensions
    assert (charge.implementation, charge.retries) == (Implementation("external", "payments"), "5")
    assert (dict(charge.headers), dict(charge.properties)) == ({"method": "POST"}, {"team": "billing"})
    ship = nodes["ship"]
    assert isinstance(ship, CallActivity)
    assert ship.called_element == "shipping"
    assert ship.extensions.call_inputs == (
        CallMapping(all_variables=True),
        CallMapping(source_expression=Expression("= order.address", "ship", 46), target="address"),
    )
    assert ship.extensions.call_outputs == (
        CallMapping(source_expression=Expression("= trackingNumber", "ship", 47), target="tracking"),
    )
    for node in nodes.values():
        assert (node.extensions.unsupported, node.extensions.ignored) == ((), ())


def test_a_zeebe_script_is_a_feel_expression_with_a_result_variable():
    feel = parse_model("scripts.bpmn").processes["scripts"].nodes["feel"]

    assert isinstance(feel, ScriptTask)
    assert feel.script is not None
    assert (feel.script.text, feel.script.script_format, feel.extensions.result_variable) == (
        "=sum(items)",
        "feel",
        "total",
    )


def test_the_activiti_namespace_and_bpmn_performers_are_read_as_camunda_does():
    nodes = parse_model("activiti_and_performers.bpmn").processes["legacy"].nodes

    assert nodes["start"].extensions.form_key == "start.form"
    review = nodes["review"].extensions
    assert review.candidate_groups == ("accounting", "management", "sales")
    assert review.candidate_users == ("kermit",)
    sign = nodes["sign"].extensions
    assert sign.assignee == Expression("${manager}", "sign", 17)
    assert sign.ignored == (
        Feature("potentialOwner", 20, "resource 'Resource_Clerk' without a resourceAssignmentExpression"),
    )


def test_what_the_engine_would_not_honour_is_recorded_on_the_element():
    process = parse_model("unsupported_features.bpmn").processes["features"]

    assert process.extensions.unsupported == (Feature("camunda:executionListener", 5),)
    assert process.nodes["approve"].extensions.unsupported == (Feature("camunda:taskListener", 11),)
    assert process.nodes["compute"].extensions.unsupported == (
        Feature("camunda:expression", 16),
        Feature("camunda:assignee", 16, "not read on a serviceTask"),
    )
    assert process.flows["f3"].extensions.unsupported == (Feature("camunda:executionListener", 19),)
    external = process.nodes["external"].extensions
    assert external.implementation == Implementation("external", "billing")
    assert external.ignored == (
        Feature("zeebe:taskDefinition", 26, "external 'invoice'; camunda:topic gives external 'billing'"),
    )


def test_form_references_are_read_from_camunda_attributes_in_any_order_and_from_zeebe():
    nodes = parse_model("form_refs.bpmn").processes["form_refs"].nodes

    assert nodes["latest"].extensions.form_ref == FormRef(source="camunda:formRef", key="invoice", line=5)
    assert nodes["computed"].extensions.form_ref == FormRef(
        source="camunda:formRef",
        key="invoice",
        binding="version",
        version=Expression("${formVersion}", "computed", 7),
        line=7,
    )
    assert nodes["computed"].extensions.form_key is None
    assert nodes["zeebe_tagged"].extensions.form_ref == FormRef(
        source="zeebe:formDefinition", key="invoice", binding="versionTag", version_tag="v1", line=15
    )
