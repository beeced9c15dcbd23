"""Counting calls per second and the latency percentiles of a list of timings."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    calls: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0


def measure_rate(call: Callable[[], object], seconds: float, warmup_calls: int = 50) -> Rate:
    """Call ``call`` repeatedly for about ``seconds`` after ``warmup_calls`` unmeasured calls."""
    for _ in range(warmup_calls):
        call()
    calls = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        call()
        calls += 1
        if calls % 10 == 0 and time.perf_counter() >= deadline:
            break
    return Rate(calls, time.perf_counter() - started)


@dataclass(frozen=True)
class Comparison:
    """Our engine's rate beside SpiffWorkflow's on the same work, ``label`` naming the work."""

    label: str
    ours: Rate
    spiff: Rate

    @property
    def ratio(self) -> float:
        return self.ours.per_second / self.spiff.per_second

    def summary(self, target_ratio: float) -> str:
        met = "met" if self.ratio >= target_ratio else "MISSED"
        return (
            f"{self.label:<24} ours {self.ours.per_second:>7,.0f} instances/s   "
            f"SpiffWorkflow {self.spiff.per_second:>6,.0f} instances/s   "
            f"ours / Spiff {self.ratio:5.1f}x (target >= {target_ratio:g}x: {met})"
        )


@dataclass(frozen=True)
class Latencies:
    """Percentiles in milliseconds of ``count`` timed calls."""

    count: int
    p50: float
    p95: float
    p99: float
    max: float

    def summary(self) -> str:
        return (
            f"p50 {self.p50:.1f} ms, p95 {self.p95:.1f} ms, p99 {self.p99:.1f} ms, "
            f"max {self.max:.1f} ms ({self.count:,} calls)"
        )


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of values sorted in ascending order."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def latencies(seconds: Sequence[float]) -> Latencies:
    values = sorted(value * 1000 for value in seconds)
    if not values:
        raise ValueError("no timings")
    return Latencies(
        len(values), percentile(values, 0.5), percentile(values, 0.95), percentile(values, 0.99), values[-1]
    )
