"""How long and how large each engine benchmark runs: the recorded sizes, and ``--quick`` ones."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineSizes:
    interpreter_seconds: float  # per engine and process
    durable_seconds: float  # per engine and number of OS processes
    durable_processes: tuple[int, ...]
    rest_waiting: int  # instances waiting in the tenant while starts are measured
    rest_seconds: int
    rest_connections: int
    scale_waiting: tuple[int, int]  # the small and the large number of waiting instances
    scale_seconds: int  # per measured request kind
    complete_calls: int
    job_instances: int  # instances of the five-step async process run by the workers
    timers: int  # timers due within one minute (and, for far-timers, in a year)
    scheduler_interval: float  # run_scheduler --interval of the timers suite
    subscriptions: int  # open message subscriptions while messages are correlated
    correlations: int  # messages correlated, one at a time


RECORDED = EngineSizes(
    interpreter_seconds=5,
    durable_seconds=10,
    durable_processes=(1, 2),
    rest_waiting=100_000,
    rest_seconds=10,
    rest_connections=8,
    scale_waiting=(10_000, 1_000_000),
    scale_seconds=10,
    complete_calls=300,
    job_instances=3_000,
    timers=10_000,
    scheduler_interval=0.5,  # the default of run_scheduler
    subscriptions=100_000,
    correlations=1_000,
)
QUICK = EngineSizes(
    interpreter_seconds=1,
    durable_seconds=2,
    durable_processes=(1, 2),
    rest_waiting=2_000,
    rest_seconds=3,
    rest_connections=8,
    scale_waiting=(1_000, 20_000),
    scale_seconds=2,
    complete_calls=50,
    job_instances=300,
    timers=500,
    scheduler_interval=0.5,  # the default of run_scheduler
    subscriptions=5_000,
    correlations=200,
)
