"""Duration distributions of the simulation, read from parameters and sampled with a seeded generator.

Every duration is in minutes. A distribution is written as an object with a ``type``
(``fixed``, ``uniform``, ``exponential``, ``normal``, ``triangular``, ``lognormal``) and its
numbers, or as a bare number meaning ``fixed``. Nothing here samples a negative duration.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apps.designer.simulation.problems import SimulationProblem

Sampler = Callable[[random.Random], float]

# type -> the numbers it takes, in order
SHAPES: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "uniform": ("min", "max"),
    "exponential": ("mean",),
    "normal": ("mean", "sd"),
    "triangular": ("min", "mode", "max"),
    "lognormal": ("mean", "sd"),
}
# A truncated normal draws again below zero; after this many draws it gives zero.
NORMAL_REDRAWS = 100


@dataclass(frozen=True, slots=True)
class Distribution:
    """A distribution of durations in minutes; ``numbers`` follow ``SHAPES[kind]``."""

    kind: str
    numbers: tuple[float, ...]

    @property
    def mean(self) -> float:
        """The mean of the distribution (of the untruncated normal for ``normal``)."""
        if self.kind in ("fixed", "exponential", "normal", "lognormal"):
            return self.numbers[0]
        return sum(self.numbers) / len(self.numbers)

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.kind, **dict(zip(SHAPES[self.kind], self.numbers, strict=True))}

    def sampler(self) -> Sampler:
        """Return a function drawing one duration from ``rng``."""
        kind, numbers = self.kind, self.numbers
        if kind == "fixed":
            value = numbers[0]
            return lambda rng: value
        if kind == "uniform":
            low, high = numbers
            return lambda rng: rng.uniform(low, high)
        if kind == "exponential":
            rate = 1.0 / numbers[0]
            return lambda rng: rng.expovariate(rate)
        if kind == "normal":
            mean, sd = numbers
            return lambda rng: _truncated_normal(rng, mean, sd)
        if kind == "triangular":
            low, mode, high = numbers
            return lambda rng: rng.triangular(low, high, mode)
        mean, sd = numbers  # lognormal, given by the mean and standard deviation of the durations
        sigma = math.sqrt(math.log1p((sd / mean) ** 2))
        mu = math.log(mean) - sigma * sigma / 2
        return lambda rng: rng.lognormvariate(mu, sigma)


def _truncated_normal(rng: random.Random, mean: float, sd: float) -> float:
    for _ in range(NORMAL_REDRAWS):
        value = rng.gauss(mean, sd)
        if value >= 0:
            return value
    return 0.0


def fixed(value: float) -> Distribution:
    return Distribution("fixed", (float(value),))


def read_number(value: object) -> float | None:
    """A finite JSON number as a float; ``None`` for anything else (booleans included)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def parse_distribution(
    value: object, parameter: str, element_id: str | None, problems: list[SimulationProblem]
) -> Distribution | None:
    """Read a distribution; add a problem and return ``None`` when it is not a valid one."""

    def refuse(code: str, message: str, where: str = parameter) -> None:
        problems.append(SimulationProblem(code, message, element_id, where))

    if not isinstance(value, dict):
        number = read_number(value)
        if number is None:
            refuse("duration-invalid", f"The duration at {parameter} must be a number or an object with a type.")
            return None
        value = {"type": "fixed", "value": number}
    kind = value.get("type")
    if kind not in SHAPES:
        refuse("duration-type-unknown", f"The duration type at {parameter} must be one of {', '.join(SHAPES)}.")
        return None
    names = SHAPES[kind]
    unknown = sorted(set(value) - {"type", *names})
    if unknown:
        refuse("duration-field-unknown", f"A {kind} duration takes {', '.join(names)}, not {', '.join(unknown)}.")
        return None
    numbers: list[float] = []
    for name in names:
        number = read_number(value.get(name))
        if number is None:
            refuse("duration-invalid", f"The {kind} duration needs a number '{name}'.", f"{parameter}.{name}")
            return None
        if number < 0:
            refuse(
                "duration-negative",
                f"The {kind} duration's '{name}' is {number:g}; it may not be negative.",
                f"{parameter}.{name}",
            )
            return None
        numbers.append(number)
    message = _shape_problem(kind, numbers)
    if message:
        refuse("duration-invalid", message)
        return None
    return Distribution(kind, tuple(numbers))


def _shape_problem(kind: str, numbers: list[float]) -> str | None:
    if kind == "uniform" and numbers[0] > numbers[1]:
        return f"The uniform duration's min ({numbers[0]:g}) is above its max ({numbers[1]:g})."
    if kind == "triangular" and not numbers[0] <= numbers[1] <= numbers[2]:
        return "The triangular duration needs min <= mode <= max."
    if kind in ("exponential", "lognormal") and numbers[0] == 0:
        return f"The {kind} duration needs a mean above 0 (use a fixed 0 for no time)."
    return None
