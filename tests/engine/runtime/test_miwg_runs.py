"""The OMG interchange models that are executable run: C.9.2 (a manual check with three event
subprocesses, a timer boundary event and a multi-instance call of C.9.1) through the service
layer, with messages correlated by their Zeebe correlation keys."""

from __future__ import annotations

from datetime import timedelta

from apps.engine import clock
from apps.engine.models import ProcessInstance, Token
from apps.engine.services import jobs
from apps.engine.services.deployments import deploy
from apps.engine.services.instances import complete_wait, latest_definition, start_instance
from apps.engine.services.messages import correlate
from tests.engine.bpmn.test_miwg import MIWG


def tokens_of(instance: ProcessInstance) -> list[str]:
    return sorted(Token.objects.filter(instance=instance).values_list("element_id", flat=True))


def complete(instance: ProcessInstance, element_id: str, **variables: object) -> None:
    token = Token.objects.get(instance=instance, element_id=element_id)
    complete_wait(instance.id, str(token.id), variables)


def test_the_manual_check_runs_its_event_subprocesses_beside_the_decision(in_alpha: None) -> None:
    deploy((MIWG / "C.9.1.bpmn").read_bytes(), name="C.9.1.bpmn")
    deploy((MIWG / "C.9.2.bpmn").read_bytes(), name="C.9.2.bpmn")  # refused unless C.9.1 is deployed
    variables = {
        "risks": ["income", "age"],
        "applicant": {"name": "Ann", "age": 42},
        "documentReferenceId": "doc-7",
        "fraudSuspectedId": "app-7",
        "documents": ["payslip", "passport"],
    }

    check = start_instance(latest_definition("ManualCheck"), variables)

    assert check.state == "active"
    assert tokens_of(check) == [
        "StartMessageEvent_DocumentRequested",
        "StartMessageEvent_FraudSuspected",
        "StartTimerEvent_AcceleratedDecision",
        "UserTask_DecideOnApplication",
    ]

    fraud = correlate("Message_FraudSuspected", correlation_key="app-7")
    assert fraud.matched == [{"instance": str(check.id), "element_id": "StartMessageEvent_FraudSuspected"}]
    assert "UserTask_CheckForFraud" in tokens_of(check)
    complete(check, "UserTask_CheckForFraud", fraud=False)
    assert "UserTask_CheckForFraud" not in tokens_of(check)

    correlate("Message_DocumentRequested", correlation_key="doc-7")
    children = ProcessInstance.objects.filter(parent=check)
    assert sorted(child.definition.key for child in children) == ["requestDocument_en", "requestDocument_en"]

    clock.advance(timedelta(days=5, minutes=1))  # the accelerated decision's timer
    while jobs.run_due_jobs("worker-1", 10):
        pass
    assert "SendTask_NotifyCustomerDelay" in tokens_of(check)  # an external worker's task, within the subprocess

    complete(check, "UserTask_DecideOnApplication", approved=True)
    check.refresh_from_db()
    assert check.state == "active"  # the document requests and the acceleration still run inside it
