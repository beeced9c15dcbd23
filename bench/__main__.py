"""``python -m bench``: HTTP throughput of gunicorn and daphne; ``--soak``: a long run for leaks.

Needs ``DATABASE_URL`` and ``REDIS_URL``; ``make bench`` and ``make soak`` provide both
with the embedded servers. The benchmark migrates its own database (``apg_bench``) on
that PostgreSQL server, provisions tenant ``bench.localhost`` with users, starts the
servers on loopback, loads them with wrk and prints the figures and the commands that
produced them. Every process it starts is stopped before it exits.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from apg_wbpm.embedded import free_port
from bench.context import MissingServers, describe_machine, prepare
from bench.load import LoadGeneratorMissing, LoadPlan
from bench.servers import ServerFailed, daphne_spec, gunicorn_spec
from bench.soak import run_soak
from bench.throughput import run_throughput


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)  # unwinds through every finally: servers stop


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--soak", action="store_true", help="a long run against gunicorn that checks for leaks")
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per server (default 10)")
    parser.add_argument("--soak-seconds", type=int, default=300, help="length of --soak (default 300)")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up seconds (default 3, 30 with --soak)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--users", type=int, default=128, help="users whose tokens take turns (default 128)")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the apg_bench database first")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    warmup = args.warmup if args.warmup is not None else (30 if args.soak else 3)
    planned_minutes = (args.soak_seconds if args.soak else 2 * args.seconds) // 60 + warmup // 60 + 15
    try:
        context = prepare(user_count=args.users, fresh=args.fresh, jwt_minutes=planned_minutes)
    except (MissingServers, LoadGeneratorMissing) as error:
        print(error, file=sys.stderr)
        return 2
    print(f"\n{describe_machine(context.wrk)}", flush=True)
    plan = LoadPlan(threads=args.threads, connections=args.connections, seconds=args.seconds)
    gunicorn = gunicorn_spec(free_port(), args.workers)
    try:
        if args.soak:
            return run_soak(context, gunicorn, plan, args.soak_seconds, warmup)
        return run_throughput(context, gunicorn, daphne_spec(free_port()), plan, warmup)
    except ServerFailed as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped; every server it started has been stopped.", file=sys.stderr)
        return 130
    finally:
        load = " ".join(f"{value:.2f}" for value in os.getloadavg())
        print(f"load     {load} (1, 5, 15 min) after the run", flush=True)


if __name__ == "__main__":
    sys.exit(main())
