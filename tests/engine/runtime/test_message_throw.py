"""Message throw and end events send their message as send tasks do: a handler, or an external worker."""

from __future__ import annotations

from typing import Any

from apps.engine.runtime import Outcome
from tests.engine.runtime.harness import InstanceOf


def stamper(variables: dict[str, Any]) -> dict[str, Any]:
    return {"stamped": True}


def test_throw_and_end_events_send_through_workers_and_handlers(instance_of: InstanceOf) -> None:
    instance = instance_of("message_throw", handlers={"stamper": stamper})

    started = instance.start()
    assert [(wait.kind, wait.element_id, wait.details["topic"]) for wait in started.waits] == [
        ("external-task", "notify", "mail")
    ]

    sent = instance.complete("notify", delivered=1)
    assert sent.visited == ["stamp", "farewell"]
    assert [(wait.kind, wait.element_id) for wait in sent.waits] == [("external-task", "farewell")]

    last = instance.complete("farewell")
    assert last.outcome is Outcome.COMPLETED
    assert instance.snapshot.variables == {"delivered": 1, "stamped": True}
