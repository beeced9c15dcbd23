"""Saving a 300-element model in the designer and getting its lint result, through gunicorn.

As the modeler does on every save: ``POST /api/v1/models/{id}/versions/`` with the XML and the
``If-Match`` of the version it was based on, then ``POST /api/v1/models/lint/`` with the same
XML. One designer, one request after another (a person saving); each save renames a task, so
every save makes a version. The figure is the time of the pair; target p95 < 300 ms.
"""

from __future__ import annotations

import secrets
import statistics
import time
from typing import Any

import httpx

from bench.context import BenchContext
from bench.provisioning import BENCH_DOMAIN, BENCH_SCHEMA
from bench.rest_start import server_spec
from bench.servers import running

TASKS = 148  # with their flows, a start and an end event: 300 elements
SAVES = 60
WARMUP = 5
TARGET_P95_MS = 300.0


def model_xml(tasks: int, renamed: int) -> str:
    """A process of ``tasks`` user tasks in a row, with DI; task ``renamed`` carries the save's number."""
    nodes = ['<bpmn:startEvent id="start"/>']
    flows = []
    shapes = [
        '<bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="0" y="20" width="36" height="36"/>'
        "</bpmndi:BPMNShape>"
    ]
    previous = "start"
    for number in range(tasks):
        name = f"Step {number}" + (f" (save {renamed})" if number == renamed % tasks else "")
        nodes.append(f'<bpmn:userTask id="task_{number}" name="{name}" camunda:candidateGroups="team"/>')
        flows.append(f'<bpmn:sequenceFlow id="flow_{number}" sourceRef="{previous}" targetRef="task_{number}"/>')
        shapes.append(
            f'<bpmndi:BPMNShape id="task_{number}_di" bpmnElement="task_{number}">'
            f'<dc:Bounds x="{100 + 150 * number}" y="0" width="100" height="80"/></bpmndi:BPMNShape>'
        )
        previous = f"task_{number}"
    nodes.append('<bpmn:endEvent id="end"/>')
    flows.append(f'<bpmn:sequenceFlow id="flow_end" sourceRef="{previous}" targetRef="end"/>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://example.com">\n'
        f'<bpmn:process id="bench_designer" name="Designer bench" isExecutable="true">{"".join(nodes + flows)}'
        "</bpmn:process>\n"
        '<bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="bench_designer">'
        f"{''.join(shapes)}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n"
        "</bpmn:definitions>\n"
    )


def designer_token() -> str:
    from django.contrib.auth import get_user_model
    from django_tenants.utils import schema_context

    from apps.tenancy import services
    from apps.tenancy.authentication import TenantTokenObtainPairSerializer
    from apps.tenancy.roles import Role

    with schema_context(BENCH_SCHEMA):
        services.ensure_user(
            services.UserSpec("bench-designer", secrets.token_urlsafe(16), Role.PROCESS_DESIGNER),
            reset_password=True,
        )
        user = get_user_model().objects.get(username="bench-designer")
        return str(TenantTokenObtainPairSerializer.get_token(user).access_token)  # type: ignore[attr-defined]


def _save_and_lint(client: httpx.Client, model: dict[str, Any], base: int, number: int) -> tuple[float, int]:
    xml = model_xml(TASKS, number)
    begun = time.perf_counter()
    saved = client.post(
        f"/api/v1/models/{model['id']}/versions/",
        json={"xml": xml, "message": f"save {number}"},
        headers={"If-Match": f'"{base}"'},
    )
    linted = client.post("/api/v1/models/lint/", content=xml.encode(), headers={"Content-Type": "application/xml"})
    took = time.perf_counter() - begun
    errors = [problem for problem in linted.json().get("problems", []) if problem["severity"] == "error"]
    if saved.status_code != 201 or linted.status_code != 200 or errors:
        raise RuntimeError(f"save answered {saved.status_code} {saved.text[:300]}, lint {linted.text[:300]}")
    return took, int(saved.json()["number"])


def run_designer_save(context: BenchContext, command: str) -> float:
    print(f"\n== Designer: save a {2 * TASKS + 4}-element model and lint it, one designer\n$ {command}", flush=True)
    token = designer_token()
    spec = server_spec()
    print(f"$ {context.shown(spec.argv, env=spec.env)}", flush=True)
    headers = {"Host": BENCH_DOMAIN, "Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https"}
    with (
        running(spec, context.env, context.log_dir),
        httpx.Client(base_url=f"http://127.0.0.1:{spec.port}", headers=headers, timeout=30) as client,
    ):
        created = client.post(
            "/api/v1/models/", json={"name": f"Designer bench {secrets.token_hex(4)}", "xml": model_xml(TASKS, 0)}
        )
        if created.status_code != 201:
            raise RuntimeError(f"creating the model answered {created.status_code}: {created.text[:300]}")
        model, base, timings = created.json(), 1, []
        for number in range(1, WARMUP + SAVES + 1):
            took, base = _save_and_lint(client, model, base, number)
            if number > WARMUP:
                timings.append(took * 1000)
    timings.sort()
    p50, p95 = statistics.median(timings), timings[int(0.95 * len(timings)) - 1]
    met = "met" if p95 < TARGET_P95_MS else "MISSED"
    size = len(model_xml(TASKS, 1).encode())
    print(
        f"  {SAVES} saves of a {size:,}-byte model, each with its lint: p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
        f"max {timings[-1]:.0f} ms (target p95 < {TARGET_P95_MS:g} ms: {met})",
        flush=True,
    )
    return p95
