"""Simulating 10,000 instances of a 30-element model: in the process, and through the REST API.

The model has what designers draw: three lanes of people, a loop back for rework, a parallel
split and join, and a choice. Its 37 elements are 17 flow nodes and 20 flows. The figure is the
time of one ``simulate`` call (the pure simulator) and of one ``POST /api/v1/simulations/``
through gunicorn; target < 5 s.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import httpx

from bench.context import BenchContext
from bench.designer_save import designer_token
from bench.provisioning import BENCH_DOMAIN
from bench.rest_start import server_spec
from bench.servers import running

INSTANCES = 10_000
RUNS = 5
TARGET_SECONDS = 5.0

# (id, kind, lane) of the flow nodes, then (source, target, probability) of the flows.
NODES = [
    ("start", "startEvent", None),
    ("register", "userTask", "clerks"),
    ("rework_join", "exclusiveGateway", None),
    ("check", "userTask", "reviewers"),
    ("complete", "exclusiveGateway", None),
    ("fork", "parallelGateway", None),
    ("credit", "userTask", "specialists"),
    ("fraud", "userTask", "specialists"),
    ("documents", "userTask", "clerks"),
    ("join", "parallelGateway", None),
    ("decide", "userTask", "reviewers"),
    ("outcome", "exclusiveGateway", None),
    ("offer", "userTask", "clerks"),
    ("decline", "userTask", "clerks"),
    ("merge", "exclusiveGateway", None),
    ("archive", "serviceTask", None),
    ("end", "endEvent", None),
]
FLOWS = [
    ("start", "register", None),
    ("register", "rework_join", None),
    ("rework_join", "check", None),
    ("check", "complete", None),
    ("complete", "rework_join", 0.2),
    ("complete", "fork", 0.8),
    ("fork", "credit", None),
    ("fork", "fraud", None),
    ("fork", "documents", None),
    ("credit", "join", None),
    ("fraud", "join", None),
    ("documents", "join", None),
    ("join", "decide", None),
    ("decide", "outcome", None),
    ("outcome", "offer", 0.7),
    ("outcome", "decline", 0.3),
    ("offer", "merge", None),
    ("decline", "merge", None),
    ("merge", "archive", None),
    ("archive", "end", None),
]
PARAMETERS: dict[str, Any] = {
    "instances": INSTANCES,
    "arrival": {"rate_per_hour": 8},
    "resources": {"clerks": 3, "reviewers": 3, "specialists": 3},
    "activities": {
        "register": {"duration": {"type": "exponential", "mean": 5}},
        "check": {"duration": {"type": "triangular", "min": 4, "mode": 6, "max": 12}},
        "credit": {"duration": {"type": "lognormal", "mean": 8, "sd": 3}},
        "fraud": {"duration": {"type": "exponential", "mean": 4}},
        "documents": {"duration": {"type": "uniform", "min": 2, "max": 6}},
        "decide": {"duration": {"type": "normal", "mean": 5, "sd": 1}},
        "offer": {"duration": 4},
        "decline": {"duration": 2},
        "archive": {"duration": 0.5},
    },
    "probabilities": {f"{source}_{target}": share for source, target, share in FLOWS if share is not None},
}


def model_xml() -> str:
    lanes: dict[str, list[str]] = {}
    for node_id, _, lane in NODES:
        if lane is not None:
            lanes.setdefault(lane, []).append(node_id)
    lane_xml = "".join(
        f'<bpmn:lane id="{lane}" name="{lane.capitalize()}">'
        + "".join(f"<bpmn:flowNodeRef>{node}</bpmn:flowNodeRef>" for node in members)
        + "</bpmn:lane>"
        for lane, members in lanes.items()
    )
    nodes = "".join(f'<bpmn:{kind} id="{node_id}"/>' for node_id, kind, _ in NODES)
    flows = "".join(
        f'<bpmn:sequenceFlow id="{source}_{target}" sourceRef="{source}" targetRef="{target}"/>'
        for source, target, _ in FLOWS
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" '
        'targetNamespace="http://example.com">\n'
        f'<bpmn:process id="bench_simulation" isExecutable="true"><bpmn:laneSet id="lanes">{lane_xml}'
        f"</bpmn:laneSet>{nodes}{flows}</bpmn:process>\n</bpmn:definitions>\n"
    )


def _in_process() -> tuple[list[float], dict[str, Any]]:
    from apps.designer.simulation import simulate

    timings, result = [], {}
    xml = model_xml().encode()
    for seed in range(RUNS):
        begun = time.perf_counter()
        result = simulate(xml, PARAMETERS, seed=seed)
        timings.append(time.perf_counter() - begun)
    return timings, result


def _through_rest(context: BenchContext) -> list[float]:
    spec = server_spec()
    print(f"$ {context.shown(spec.argv, env=spec.env)}", flush=True)
    headers = {"Host": BENCH_DOMAIN, "Authorization": f"Bearer {designer_token()}", "X-Forwarded-Proto": "https"}
    timings = []
    with (
        running(spec, context.env, context.log_dir),
        httpx.Client(base_url=f"http://127.0.0.1:{spec.port}", headers=headers, timeout=120) as client,
    ):
        for seed in range(RUNS):
            begun = time.perf_counter()
            answer = client.post(
                "/api/v1/simulations/", json={"xml": model_xml(), "parameters": PARAMETERS, "seed": seed}
            )
            timings.append(time.perf_counter() - begun)
            if answer.status_code != 200:
                raise RuntimeError(f"the simulation answered {answer.status_code}: {answer.text[:300]}")
    return timings


def _verdict(timings: list[float]) -> str:
    worst = max(timings)
    met = "met" if worst < TARGET_SECONDS else "MISSED"
    return (
        f"median {statistics.median(timings):.2f} s, worst {worst:.2f} s of {len(timings)} "
        f"(target < {TARGET_SECONDS:g} s: {met})"
    )


def run_simulation(context: BenchContext, command: str) -> float:
    elements = len(NODES) + len(FLOWS)
    print(f"\n== Simulation: {INSTANCES:,} instances of a {elements}-element model\n$ {command}", flush=True)
    pure, result = _in_process()
    steps = sum(result["element_counts"].values())
    print(
        f"  in the process: {_verdict(pure)}; {steps:,} elements passed, "
        f"cycle time mean {result['cycle_time']['mean']:.1f} min, bottleneck {result['bottleneck']['activity']}",
        flush=True,
    )
    rest = _through_rest(context)
    print(f"  POST /api/v1/simulations/: {_verdict(rest)}", flush=True)
    return max(rest)
