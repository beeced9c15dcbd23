"""``python -m bench [SUITE...]``: HTTP throughput of gunicorn and daphne, and the engine's figures
beside SpiffWorkflow's; ``--soak``: a long run for leaks.

Suites: ``http`` (gunicorn against daphne), ``interpreter``, ``durable``, ``rest`` and
``scale`` (the engine), ``engine`` for the four engine suites, ``jobs`` (async continuations
run by worker processes), ``timers`` (10,000 timers due in one minute, fired by the scheduler
and Celery workers), ``far-timers`` (10,000 due in a year: what they cost Redis) and
``correlation`` (messages among 100,000 open subscriptions), ``tasks`` (the task list) and
``designer-save`` (saving and linting a 300-element model), ``designer-page`` (the modeler
page's time to interactive in headless Chromium), ``simulation`` (10,000 simulated
instances of a 30-element model); none given runs them all.
Every suite but ``interpreter`` needs ``DATABASE_URL`` and ``REDIS_URL``; ``make bench``
and ``make soak`` provide both with the embedded servers. The benchmark migrates its own
database (``apg_bench``) on that PostgreSQL server, provisions tenant ``bench.localhost``
with users, starts the servers on loopback, loads them with wrk and prints the figures and
the commands that produced them. Every process it starts is stopped before it exits.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys

from apg_wbpm.embedded import free_port
from bench.context import ROOT, BenchContext, MissingServers, describe_machine, prepare
from bench.load import LoadGeneratorMissing, LoadPlan
from bench.servers import ServerFailed, daphne_spec, gunicorn_spec
from bench.sizes import QUICK, RECORDED, EngineSizes

ENGINE_SUITES = ("interpreter", "durable", "rest", "scale")
EVENT_SUITES = ("timers", "far-timers", "correlation")
SUITES = ("http", *ENGINE_SUITES, "jobs", *EVENT_SUITES, "tasks", "designer-save", "designer-page", "simulation")
# Time to seed a million instances on a slow machine, on top of the measured seconds.
ENGINE_TOKEN_MINUTES = 60


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)  # unwinds through every finally: servers stop


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("suites", nargs="*", metavar="SUITE", help=f"{', '.join(SUITES)} or engine (default: all)")
    parser.add_argument("--quick", action="store_true", help="engine suites with small sizes and short runs")
    parser.add_argument("--soak", action="store_true", help="a long run against gunicorn that checks for leaks")
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per server (default 10)")
    parser.add_argument("--soak-seconds", type=int, default=300, help="length of --soak (default 300)")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up seconds (default 3, 30 with --soak)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--users", type=int, default=128, help="users whose tokens take turns (default 128)")
    parser.add_argument(
        "--scheduler-interval", type=float, default=None, help="run_scheduler --interval in suite timers (default 0.5)"
    )
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the apg_bench database first")
    args = parser.parse_args(argv)
    unknown = [name for name in args.suites if name not in (*SUITES, "engine")]
    if unknown:
        parser.error(f"unknown suite {unknown[0]!r}: choose from {', '.join(SUITES)}, engine")
    return args


def selected_suites(names: list[str]) -> list[str]:
    """The suites to run, in their order: ``engine`` stands for the four engine suites."""
    wanted = set(names or SUITES)
    if "engine" in wanted:
        wanted |= set(ENGINE_SUITES)
    return [suite for suite in SUITES if suite in wanted]


def suite_command(suite: str, quick: bool) -> str:
    """The command that runs one suite again, with the servers of this run."""
    servers = [f"{name}={os.environ[name]}" for name in ("DATABASE_URL", "REDIS_URL") if suite != "interpreter"]
    python = os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(str(ROOT)) else sys.executable
    return shlex.join([*servers, python, "-m", "bench", suite, *(["--quick"] if quick else [])])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        return _run(args)
    except (MissingServers, LoadGeneratorMissing) as error:
        print(error, file=sys.stderr)
        return 2
    except ServerFailed as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped; every server it started has been stopped.", file=sys.stderr)
        return 130
    finally:
        load = " ".join(f"{value:.2f}" for value in os.getloadavg())
        print(f"load     {load} (1, 5, 15 min) after the run", flush=True)


def _run(args: argparse.Namespace) -> int:
    suites = ["http"] if args.soak else selected_suites(args.suites)
    sizes = QUICK if args.quick else RECORDED
    commands = {suite: suite_command(suite, args.quick) for suite in suites if suite in ENGINE_SUITES}
    if suites == ["interpreter"]:
        from bench.interpreter import run_interpreter

        print(f"\n{describe_machine(None)}", flush=True)
        run_interpreter(sizes.interpreter_seconds, commands["interpreter"])
        return 0
    warmup = args.warmup if args.warmup is not None else (30 if args.soak else 3)
    planned_minutes = (args.soak_seconds if args.soak else 2 * args.seconds) // 60 + warmup // 60 + 15
    if set(suites) & {"rest", "scale", "tasks"}:
        planned_minutes += ENGINE_TOKEN_MINUTES
    context = prepare(user_count=args.users, fresh=args.fresh, jwt_minutes=planned_minutes)
    print(f"\n{describe_machine(context.wrk)}", flush=True)
    plan = LoadPlan(threads=args.threads, connections=args.connections, seconds=args.seconds)
    status = 0
    if args.soak:
        from bench.soak import run_soak

        return run_soak(context, gunicorn_spec(free_port(), args.workers), plan, args.soak_seconds, warmup)
    if "http" in suites:
        from bench.throughput import run_throughput

        gunicorn, daphne = gunicorn_spec(free_port(), args.workers), daphne_spec(free_port())
        status = run_throughput(context, gunicorn, daphne, plan, warmup)
    if "interpreter" in suites:
        from bench.interpreter import run_interpreter

        run_interpreter(sizes.interpreter_seconds, commands["interpreter"])
    if set(suites) & {"durable", "rest", "scale", "tasks"}:
        status = max(status, _run_database_suites(context, suites, sizes, commands))
    if "jobs" in suites:
        from bench.engine_data import deploy_bench_models
        from bench.jobs import run_jobs

        deploy_bench_models()
        run_jobs(sizes.job_instances, 2, suite_command("jobs", args.quick))
    if set(suites) & set(EVENT_SUITES):
        _run_event_suites(context, suites, sizes, args.quick, args.scheduler_interval)
    if "designer-save" in suites:
        from bench.designer_save import run_designer_save

        run_designer_save(context, suite_command("designer-save", args.quick))
    if "designer-page" in suites:
        from bench.designer_page import run_designer_page

        run_designer_page(context, suite_command("designer-page", args.quick))
    if "simulation" in suites:
        from bench.simulation import run_simulation

        run_simulation(context, suite_command("simulation", args.quick))
    return status


def _run_event_suites(
    context: BenchContext, suites: list[str], sizes: EngineSizes, quick: bool, scheduler_interval: float | None
) -> None:
    from bench.correlation import run_correlation
    from bench.engine_data import deploy_bench_models
    from bench.timers import run_far_timers, run_timers

    deploy_bench_models()
    if "timers" in suites:
        command = suite_command("timers", quick)
        if scheduler_interval:
            command += f" --scheduler-interval {scheduler_interval:g}"
        run_timers(context, sizes.timers, scheduler_interval or sizes.scheduler_interval, command)
    if "far-timers" in suites:
        run_far_timers(sizes.timers, suite_command("far-timers", quick))
    if "correlation" in suites:
        run_correlation(sizes.subscriptions, sizes.correlations, suite_command("correlation", quick))


def _run_database_suites(context: BenchContext, suites: list[str], sizes: EngineSizes, commands: dict[str, str]) -> int:
    from bench.durable import run_durable
    from bench.engine_data import deploy_bench_models
    from bench.processes import USER_TASK
    from bench.rest_start import run_rest_start
    from bench.scale import run_scale

    definitions = deploy_bench_models()
    status = 0
    if "durable" in suites:
        run_durable(sizes.durable_processes, sizes.durable_seconds, commands["durable"])
    if "rest" in suites:
        plan = LoadPlan(threads=2, connections=sizes.rest_connections, seconds=sizes.rest_seconds)
        result = run_rest_start(context, definitions[USER_TASK], sizes.rest_waiting, plan, commands["rest"])
        status = 1 if result.error_count else status
    if "scale" in suites:
        waiting, seconds, calls = sizes.scale_waiting, sizes.scale_seconds, sizes.complete_calls
        run_scale(context, definitions[USER_TASK], waiting, seconds, calls, commands["scale"])
    if "tasks" in suites:
        from bench.tasks import run_tasks

        plan = LoadPlan(threads=2, connections=sizes.rest_connections, seconds=sizes.rest_seconds)
        command = suite_command("tasks", sizes is QUICK)
        run_tasks(context, definitions[USER_TASK], sizes.rest_waiting, plan, sizes.complete_calls, command)
    return status


if __name__ == "__main__":
    sys.exit(main())
