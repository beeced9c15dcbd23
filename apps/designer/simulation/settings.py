"""The run-wide parameters of a simulation: which process, how many instances, how they arrive.

The per-element parameters (durations, resources, probabilities) are read against the model in
``model.py``, which knows the element ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apps.designer.simulation.distributions import read_number
from apps.designer.simulation.problems import SimulationProblem

MAX_INSTANCES = 100_000
DEFAULT_INSTANCES = 1_000
DEFAULT_RATE_PER_HOUR = 6.0
DEFAULT_MAX_STEPS = 1_000
MAX_STEPS_PER_INSTANCE = 100_000
# Every element an instance passes is a step; a run as a whole may take at most this many.
MAX_TOTAL_STEPS = 10_000_000
TOP_LEVEL_KEYS = frozenset(
    {"process", "instances", "arrival", "activities", "resources", "probabilities", "max_steps_per_instance"}
)


@dataclass(frozen=True, slots=True)
class Arrival:
    """Instances arrive ``interval_minutes`` apart on average: exactly (``poisson`` false) or as a Poisson stream."""

    interval_minutes: float
    poisson: bool

    def as_dict(self) -> dict[str, Any]:
        if self.poisson:
            return {"rate_per_hour": 60.0 / self.interval_minutes}
        return {"interval_minutes": self.interval_minutes}


@dataclass(frozen=True, slots=True)
class RunSettings:
    process_id: str | None
    instances: int
    arrival: Arrival
    max_steps_per_instance: int


def read_run_settings(parameters: dict[str, Any], problems: list[SimulationProblem]) -> RunSettings:
    """Read the run-wide parameters, adding a problem for each one that is wrong (defaults stand in)."""
    for key in sorted(set(parameters) - TOP_LEVEL_KEYS):
        message = f"Unknown parameter '{key}'; the parameters are {', '.join(sorted(TOP_LEVEL_KEYS))}."
        problems.append(SimulationProblem("parameter-unknown", message, parameter=key))
    process_id = parameters.get("process")
    if process_id is not None and not isinstance(process_id, str):
        problems.append(SimulationProblem("parameter-invalid", "'process' must be a process id.", parameter="process"))
        process_id = None
    instances = _read_count(parameters, "instances", DEFAULT_INSTANCES, MAX_INSTANCES, problems)
    steps = _read_count(parameters, "max_steps_per_instance", DEFAULT_MAX_STEPS, MAX_STEPS_PER_INSTANCE, problems)
    return RunSettings(process_id, instances, _read_arrival(parameters.get("arrival"), problems), steps)


def _read_count(
    parameters: dict[str, Any], key: str, default: int, maximum: int, problems: list[SimulationProblem]
) -> int:
    value = parameters.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        message = f"'{key}' must be a whole number from 1 to {maximum:,}."
        problems.append(SimulationProblem("parameter-invalid", message, parameter=key))
        return default
    return value


def _read_arrival(value: object, problems: list[SimulationProblem]) -> Arrival:
    default = Arrival(60.0 / DEFAULT_RATE_PER_HOUR, poisson=True)
    if value is None:
        return default
    if not isinstance(value, dict) or len(value) != 1 or not set(value) <= {"rate_per_hour", "interval_minutes"}:
        message = '\'arrival\' must be {"rate_per_hour": number} or {"interval_minutes": number}.'
        problems.append(SimulationProblem("arrival-invalid", message, parameter="arrival"))
        return default
    ((key, raw),) = value.items()
    number = read_number(raw)
    if number is None or number <= 0:
        message = f"'arrival.{key}' must be a number above 0."
        problems.append(SimulationProblem("arrival-invalid", message, parameter=f"arrival.{key}"))
        return default
    if key == "rate_per_hour":
        return Arrival(60.0 / number, poisson=True)
    return Arrival(number, poisson=False)
