"""The discrete-event simulator: a heap of timed events and one seeded random generator.

Time is in minutes from the first arrival (at 0). Instances arrive, their tokens move through
the model's table (``model.py``) at once except where they take time: an activity queues
first-in first-out for a person of its resource when all are busy, then works for a sampled
duration; a catch event waits for its duration; a boundary timer, started when the token
arrives, may take the work away or add a token. Nothing outside this module is touched: no
database, no engine runtime, no clock. Equal inputs give equal figures, draw for draw.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from dataclasses import dataclass, field

from apps.designer.simulation.model import Behaviour, Join, SimNode, SimulationModel, Split
from apps.designer.simulation.problems import SimulationProblem
from apps.designer.simulation.settings import MAX_TOTAL_STEPS

ENTER = -1  # a token arrives at a node not by a flow of a join (a start, a link, a boundary event)
ROUTE = -2  # a token has done what the node asks and leaves by its outgoing flows
# What a heap entry is: an instance arrives, a work ends, or a boundary timer of a work fires.
ARRIVAL, FINISH, TIMER = 0, 1, 2
# The states of a work: waiting for a person, working, or over (finished, or ended by a timer).
QUEUED, WORKING, DONE = 0, 1, 2
# Inclusive flows are drawn again when none came out, up to this many times; then the likeliest.
INCLUSIVE_REDRAWS = 1_000


class SimulationFailed(Exception):
    """The run could not finish (a loop past the step cap, stuck tokens); ``problem`` says where."""

    def __init__(self, problem: SimulationProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class Instance:
    __slots__ = ("ended", "inclusive_waits", "join_counts", "live", "number", "resting", "started", "steps")

    def __init__(self, number: int, started: float) -> None:
        self.number = number
        self.started = started
        self.live = 1  # tokens not yet ended, counting those waiting at joins
        self.steps = 0
        self.ended = False
        self.join_counts: dict[int, list[int]] = {}  # join node -> tokens waiting per incoming flow
        self.resting: dict[int, int] = {}  # node -> tokens there (only with inclusive joins)
        self.inclusive_waits: set[int] = set()


class Work:
    """One token's stay at an activity or catch event: queued from ``since``, worked until ``ends``."""

    __slots__ = ("ends", "instance", "node", "since", "state")

    def __init__(self, instance: Instance, node: SimNode, since: float) -> None:
        self.instance = instance
        self.node = node
        self.since = since
        self.ends = since
        self.state = QUEUED


@dataclass(slots=True)
class Pool:
    capacity: int
    free: int
    busy_minutes: float = 0.0
    queue: deque[Work] = field(default_factory=deque)


@dataclass(slots=True)
class NodeFigures:
    count: int = 0  # works (or waits) begun
    waiting: float = 0.0  # minutes queued for a person
    processing: float = 0.0  # minutes of work (or of the event's wait)
    passes: int = 0  # tokens that reached the node


@dataclass(slots=True)
class RawResult:
    cycle_times: list[float]
    started: int
    end_time: float
    pools: list[Pool]
    figures: list[NodeFigures]


class Simulator:
    def __init__(self, model: SimulationModel, seed: int) -> None:
        self.model = model
        self.nodes = model.nodes
        self.rng = random.Random(seed)  # noqa: S311 - a simulation draws durations, not secrets
        self.pools = [Pool(pool.capacity, pool.capacity) for pool in model.resources]
        self.figures = [NodeFigures() for _ in model.nodes]
        # (time, sequence, what, the work it is about (None: an arrival), a timer's position)
        self.heap: list[tuple[float, int, int, Work | None, int]] = []
        self.sequence = 0
        self.cycle_times: list[float] = []
        self.total_steps = 0
        self.track_positions = model.has_inclusive_joins
        self.open_instances: dict[int, Instance] = {}
        self.now = 0.0

    def run(self) -> RawResult:
        settings = self.model.settings
        arrival = settings.arrival
        rate = 1.0 / arrival.interval_minutes
        rng, heap, pop = self.rng, self.heap, heapq.heappop
        started = 0
        self.schedule(0.0, ARRIVAL)
        while heap:
            now, _, what, work, position = pop(heap)
            self.now = now
            if work is None:
                started += 1
                instance = self.open_instances[started] = Instance(started, now)
                if started < settings.instances:
                    gap = rng.expovariate(rate) if arrival.poisson else arrival.interval_minutes
                    self.schedule(now + gap, ARRIVAL)
                self.move(instance, self.model.start, ENTER, now)
            elif what == FINISH:
                self.finish_work(work, now)
            else:
                self.fire_timer(work, position, now)
        self.check_all_ended(started)
        return RawResult(self.cycle_times, started, self.now, self.pools, self.figures)

    def schedule(self, time: float, what: int, work: Work | None = None, position: int = 0) -> None:
        self.sequence += 1
        heapq.heappush(self.heap, (time, self.sequence, what, work, position))

    # Tokens ------------------------------------------------------------------------------------------

    def move(self, instance: Instance, node_index: int, via: int, now: float) -> None:
        """Move a token that reached ``node_index`` (by incoming slot ``via``) until every token rests or ends."""
        stack = [(node_index, via)]
        nodes, figures, limit = self.nodes, self.figures, self.model.settings.max_steps_per_instance
        while True:
            if instance.ended:
                return
            if not stack:
                if instance.inclusive_waits:
                    self.fire_inclusive_joins(instance, stack)
                if not stack:
                    return
            index, via = stack.pop()
            node = nodes[index]
            if via != ROUTE:
                instance.steps += 1
                figures[index].passes += 1
                if instance.steps > limit:
                    self.fail_steps(node, limit)
                behaviour = node.behaviour
                if behaviour is Behaviour.TIMED:
                    self.begin_work(instance, node, now)
                    continue
                if node.join is Join.PARALLEL and not self.join_parallel(instance, node, via):
                    continue
                if node.join is Join.INCLUSIVE:
                    self.wait_inclusive(instance, node, via)
                    continue
                if behaviour is Behaviour.END:
                    self.end_token(instance, now)
                    continue
                if behaviour is Behaviour.TERMINATE:
                    self.end_instance(instance, now)
                    return
                if behaviour is Behaviour.LINK_THROW:
                    stack.append((node.link_target, ENTER))
                    continue
            self.route(instance, node, now, stack)

    def route(self, instance: Instance, node: SimNode, now: float, stack: list[tuple[int, int]]) -> None:
        targets = node.targets
        if node.split is Split.ALL:
            chosen = targets
        elif node.split is Split.ONE:
            draw = self.rng.random()
            for position, bound in enumerate(node.weights):
                if draw < bound:
                    chosen = (targets[position],)
                    break
        else:
            chosen = self.choose_some(node)
        if not chosen:
            self.end_token(instance, now)
            return
        instance.live += len(chosen) - 1
        nodes = self.nodes
        for flow_id, target in reversed(chosen):
            joining = nodes[target].join is not Join.NONE
            stack.append((target, nodes[target].incoming_slots[flow_id] if joining else ENTER))

    def choose_some(self, node: SimNode) -> tuple[tuple[str, int], ...]:
        rng, targets, weights = self.rng, node.targets, node.weights
        for _ in range(INCLUSIVE_REDRAWS if node.default_target < 0 else 1):
            chosen = tuple(target for target, weight in zip(targets, weights, strict=True) if rng.random() < weight)
            if chosen:
                return chosen
        if node.default_target >= 0:
            return (targets[node.default_target],)
        return (targets[weights.index(max(weights))],)

    def end_token(self, instance: Instance, now: float) -> None:
        instance.live -= 1
        if instance.live == 0:
            self.end_instance(instance, now)

    def end_instance(self, instance: Instance, now: float) -> None:
        instance.ended = True
        self.cycle_times.append(now - instance.started)
        del self.open_instances[instance.number]
        self.total_steps += instance.steps
        if self.total_steps > MAX_TOTAL_STEPS:
            message = (
                f"The run passed {MAX_TOTAL_STEPS:,} elements in all after {len(self.cycle_times):,} instances; "
                "simulate fewer instances."
            )
            raise SimulationFailed(SimulationProblem("simulation-too-large", message, parameter="instances"))

    # Joins -------------------------------------------------------------------------------------------

    def join_parallel(self, instance: Instance, node: SimNode, slot: int) -> bool:
        """Count the token in; tell whether every incoming flow now has one (they are consumed)."""
        counts = instance.join_counts.get(node.index)
        if counts is None:
            counts = instance.join_counts[node.index] = [0] * len(node.incoming_slots)
        counts[slot] += 1
        if 0 in counts:
            self.rest(instance, node.index, 1)
            return False
        for position in range(len(counts)):
            counts[position] -= 1
        consumed = len(counts)
        self.rest(instance, node.index, 1 - consumed)
        instance.live -= consumed - 1
        return True

    def wait_inclusive(self, instance: Instance, node: SimNode, slot: int) -> None:
        counts = instance.join_counts.get(node.index)
        if counts is None:
            counts = instance.join_counts[node.index] = [0] * len(node.incoming_slots)
        counts[slot] += 1
        self.rest(instance, node.index, 1)
        instance.inclusive_waits.add(node.index)

    def fire_inclusive_joins(self, instance: Instance, stack: list[tuple[int, int]]) -> None:
        """Let through each waiting inclusive join no other token of the instance can still reach."""
        reachable = self.model.reachable
        for join_index in sorted(instance.inclusive_waits):
            blocked = any(
                count and position != join_index and join_index in reachable[position]
                for position, count in instance.resting.items()
            )
            if blocked:
                continue
            counts = instance.join_counts[join_index]
            consumed = sum(1 for count in counts if count)
            for position, count in enumerate(counts):
                if count:
                    counts[position] = count - 1
            self.rest(instance, join_index, -consumed)
            instance.live -= consumed - 1
            if not any(counts):
                instance.inclusive_waits.discard(join_index)
            stack.append((join_index, ROUTE))

    def rest(self, instance: Instance, node_index: int, change: int) -> None:
        if self.track_positions:
            instance.resting[node_index] = instance.resting.get(node_index, 0) + change

    # Work --------------------------------------------------------------------------------------------

    def begin_work(self, instance: Instance, node: SimNode, now: float) -> None:
        """A token reached an activity (or a catch event): its boundary timers start now, and its
        work starts once a person of its resource is free."""
        self.rest(instance, node.index, 1)
        work = Work(instance, node, now)
        for position, (minutes, _, _) in enumerate(node.timers):
            self.schedule(now + minutes, TIMER, work, position)
        if node.resource < 0:
            self.start_work(work, now, 0.0)
            return
        pool = self.pools[node.resource]
        if pool.free:
            pool.free -= 1
            self.start_work(work, now, 0.0)
        else:
            pool.queue.append(work)

    def start_work(self, work: Work, now: float, waited: float) -> None:
        node = work.node
        duration = node.sampler(self.rng)
        work.state, work.ends = WORKING, now + duration
        figures = self.figures[node.index]
        figures.count += 1
        figures.waiting += waited
        figures.processing += duration
        if node.resource >= 0:
            self.pools[node.resource].busy_minutes += duration
        self.schedule(work.ends, FINISH, work)

    def finish_work(self, work: Work, now: float) -> None:
        if work.state != WORKING:
            return  # an interrupting boundary timer ended it before
        work.state = DONE
        instance, node = work.instance, work.node
        if node.resource >= 0:
            self.release(self.pools[node.resource], now)
        if instance.ended:
            return  # a terminate end event ended the instance; the work begun was finished
        self.rest(instance, node.index, -1)
        stack: list[tuple[int, int]] = []
        rng = self.rng
        for probability, event_index in node.non_interrupting:
            if rng.random() < probability:
                instance.live += 1
                stack.append((event_index, ENTER))
        if node.interrupting:
            draw = rng.random()
            for bound, event_index in node.interrupting:
                if draw < bound:
                    stack.append((event_index, ENTER))
                    break
            else:
                stack.append((node.index, ROUTE))
        else:
            stack.append((node.index, ROUTE))
        for index, via in reversed(stack):
            self.move(instance, index, via, now)

    def fire_timer(self, work: Work, position: int, now: float) -> None:
        """A boundary timer of an activity still waiting for a person or working: a
        non-interrupting one adds a token; an interrupting one ends the work (the person is free
        from now on) and the token leaves by the timer."""
        instance = work.instance
        if work.state == DONE or instance.ended:
            return
        _, event_index, interrupting = work.node.timers[position]
        if not interrupting:
            instance.live += 1
            self.move(instance, event_index, ENTER, now)
            return
        node, figures = work.node, self.figures[work.node.index]
        if work.state == WORKING:
            unworked = work.ends - now
            figures.processing -= unworked
            if node.resource >= 0:
                self.pools[node.resource].busy_minutes -= unworked
                self.release(self.pools[node.resource], now)
        else:
            figures.waiting += now - work.since  # it waited for a person until the timer took it away
        work.state = DONE
        self.rest(instance, node.index, -1)
        self.move(instance, event_index, ENTER, now)

    def release(self, pool: Pool, now: float) -> None:
        """Give the freed person to the first work still waiting, or free them."""
        queue = pool.queue
        while queue:
            work = queue.popleft()
            if work.state == QUEUED and not work.instance.ended:
                self.start_work(work, now, now - work.since)
                return
        pool.free += 1

    # Limits ------------------------------------------------------------------------------------------

    def fail_steps(self, node: SimNode, limit: int) -> None:
        message = (
            f"An instance passed {limit:,} elements and was still running at '{node.id}': a loop that never "
            "ends, or raise max_steps_per_instance."
        )
        raise SimulationFailed(SimulationProblem("step-limit-reached", message, node.id, "max_steps_per_instance"))

    def check_all_ended(self, started: int) -> None:
        if not self.open_instances:
            return
        waiting = {
            self.nodes[index].id
            for instance in self.open_instances.values()
            for index, counts in instance.join_counts.items()
            if any(counts)
        }
        stuck = sorted(waiting) or [self.nodes[self.model.start].id]
        message = (
            f"{len(self.open_instances):,} of {started:,} instances never ended: their tokens wait at "
            f"{', '.join(repr(node_id) for node_id in stuck)} for tokens that never come."
        )
        raise SimulationFailed(SimulationProblem("instances-stuck", message, stuck[0]))
