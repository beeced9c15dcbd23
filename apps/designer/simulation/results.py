"""Figures of a finished run: cycle times, throughput, utilization, waiting, the bottleneck and heat.

Every time is in minutes, rounded to 4 decimals (throughput is per hour). The output holds only
JSON types in a fixed order, so equal runs serialize to equal bytes.
"""

from __future__ import annotations

import math
from typing import Any

from apps.designer.simulation.model import Behaviour, SimulationModel
from apps.designer.simulation.simulator import RawResult

HISTOGRAM_BINS = 20
BOTTLENECK_RULE = (
    "The activity whose work waited longest in all for a free person of its resource (queueing time summed over "
    "every instance); none when no work ever waited."
)
HEAT_RULE = (
    "Time spent at the element (waiting plus processing, summed over every instance) over the largest such time."
)


def rounded(value: float) -> float:
    return round(value, 4)


def percentile(ordered: list[float], percent: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def cycle_time_figures(cycle_times: list[float]) -> dict[str, Any]:
    ordered = sorted(cycle_times)
    if not ordered:
        return {"mean": None, "min": None, "p50": None, "p90": None, "p95": None, "max": None, "histogram": []}
    return {
        "mean": rounded(math.fsum(ordered) / len(ordered)),
        "min": rounded(ordered[0]),
        "p50": rounded(percentile(ordered, 50)),
        "p90": rounded(percentile(ordered, 90)),
        "p95": rounded(percentile(ordered, 95)),
        "max": rounded(ordered[-1]),
        "histogram": histogram(ordered),
    }


def histogram(ordered: list[float]) -> list[dict[str, Any]]:
    """Equal-width bins from 0 to the longest cycle time; a bin holds from <= time < to (the last: <= to)."""
    top = ordered[-1]
    if top <= 0:
        return [{"from": 0.0, "to": 0.0, "count": len(ordered)}]
    width = top / HISTOGRAM_BINS
    counts = [0] * HISTOGRAM_BINS
    for value in ordered:
        counts[min(int(value / width), HISTOGRAM_BINS - 1)] += 1
    return [
        {"from": rounded(number * width), "to": rounded((number + 1) * width), "count": count}
        for number, count in enumerate(counts)
    ]


def summarize(model: SimulationModel, raw: RawResult, seed: int) -> dict[str, Any]:
    """The results document of a run (see docs/designer.md, "Simulation")."""
    span = raw.end_time
    completed = len(raw.cycle_times)
    resources = [
        {
            "id": pool.id,
            "name": pool.name,
            "capacity": pool.capacity,
            "busy_minutes": rounded(state.busy_minutes),
            "utilization": rounded(state.busy_minutes / (pool.capacity * span)) if span > 0 else 0.0,
        }
        for pool, state in zip(model.resources, raw.pools, strict=True)
    ]
    activities = []
    for node in model.nodes:
        if node.behaviour is not Behaviour.TIMED:
            continue
        figures = raw.figures[node.index]
        count = figures.count
        activities.append(
            {
                "id": node.id,
                "name": node.name,
                "kind": "activity" if node.is_activity else "event",
                "resource": model.resources[node.resource].id if node.resource >= 0 else None,
                "duration": node.duration.as_dict() if node.duration is not None else None,
                "count": count,
                "mean_waiting": rounded(figures.waiting / count) if count else 0.0,
                "mean_processing": rounded(figures.processing / count) if count else 0.0,
                "total_waiting": rounded(figures.waiting),
                "total_processing": rounded(figures.processing),
            }
        )
    return {
        "process": model.process_id,
        "seed": seed,
        "time_unit": "minutes",
        "instances": {"started": raw.started, "completed": completed},
        "arrival": model.settings.arrival.as_dict(),
        "span_minutes": rounded(span),
        "cycle_time": cycle_time_figures(raw.cycle_times),
        "throughput_per_hour": rounded(completed / (span / 60)) if span > 0 else None,
        "resources": resources,
        "activities": activities,
        "bottleneck": bottleneck(activities),
        "heat": heat(model, raw),
        "element_counts": {node.id: raw.figures[node.index].passes for node in model.nodes},
    }


def bottleneck(activities: list[dict[str, Any]]) -> dict[str, Any]:
    worst = max(activities, key=lambda row: row["total_waiting"], default=None)  # the first on ties
    if worst is None or worst["total_waiting"] <= 0:
        return {"rule": BOTTLENECK_RULE, "activity": None, "resource": None, "total_waiting": 0.0}
    return {
        "rule": BOTTLENECK_RULE,
        "activity": worst["id"],
        "resource": worst["resource"],
        "total_waiting": worst["total_waiting"],
    }


def heat(model: SimulationModel, raw: RawResult) -> dict[str, Any]:
    spent = {
        node.id: raw.figures[node.index].waiting + raw.figures[node.index].processing
        for node in model.nodes
        if node.behaviour is Behaviour.TIMED
    }
    top = max(spent.values(), default=0.0)
    values = {element_id: rounded(time / top) if top > 0 else 0.0 for element_id, time in spent.items()}
    return {"rule": HEAT_RULE, "elements": values}
