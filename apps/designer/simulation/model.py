"""Turn a parsed process and the simulation parameters into the table the simulator runs.

Each flow node of the process's top level becomes a ``SimNode`` saying what a token does there:
wait for a duration (activities, with or without a resource; intermediate catch events), pass on,
join, jump (a link), or end. An embedded subprocess or a call activity is one activity; what is
inside it is not simulated. Every problem with the model or the parameters is collected, each
naming its element, before anything runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from apps.designer.simulation.distributions import Distribution, Sampler, fixed, parse_distribution, read_number
from apps.designer.simulation.problems import SimulationProblem
from apps.designer.simulation.settings import RunSettings
from apps.designer.simulation.timers import timer_minutes
from apps.engine.bpmn.spec import (
    Activity,
    BoundaryEvent,
    BusinessRuleTask,
    CallActivity,
    ComplexGateway,
    Definitions,
    EndEvent,
    Event,
    EventBasedGateway,
    EventDefinition,
    ExclusiveGateway,
    FlowNode,
    InclusiveGateway,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    LinkEventDefinition,
    ManualTask,
    ParallelGateway,
    ProcessSpec,
    ReceiveTask,
    ScriptTask,
    SendTask,
    ServiceTask,
    StartEvent,
    SubProcess,
    Task,
    TerminateEventDefinition,
    UnsupportedNode,
    UserTask,
)

HUMAN_ACTIVITIES = (UserTask, ManualTask, Task)
AUTOMATED_ACTIVITIES = (ServiceTask, ScriptTask, SendTask, BusinessRuleTask, ReceiveTask)
# Default durations in minutes: people take visible time, machines none.
HUMAN_MINUTES = 10.0
CONTAINER_MINUTES = 10.0  # a subprocess or call activity, simulated as one activity
DEFAULT_CAPACITY = 1
MAX_CAPACITY = 100_000
INCLUSIVE_DEFAULT_SHARE = 0.5
SUM_TOLERANCE = 1e-6
NO_TIME = fixed(0).sampler()
ACTIVITY_KEYS = frozenset({"duration", "resource"})


class Behaviour(IntEnum):
    PASS = 0  # gateways, throw events, boundary events, start events: go on at once
    TIMED = 1  # activities and catch events: take a duration, maybe queueing for a resource
    END = 2
    TERMINATE = 3
    LINK_THROW = 4


class Split(IntEnum):
    ALL = 0  # every outgoing flow (parallel gateway, an activity's unconditional flows)
    ONE = 1  # one flow by probability (exclusive and event-based gateways)
    SOME = 2  # each flow by its own probability, the default flow when none (inclusive)


class Join(IntEnum):
    NONE = 0  # each token goes on by itself
    PARALLEL = 1  # one token from every incoming flow
    INCLUSIVE = 2  # the tokens that came, once no other token of the instance can still come


@dataclass(slots=True)
class SimNode:
    """One flow node as the simulator sees it; ``targets`` are (flow id, target index) in document order."""

    index: int
    id: str
    name: str | None
    behaviour: Behaviour
    split: Split = Split.ALL
    join: Join = Join.NONE
    targets: tuple[tuple[str, int], ...] = ()
    # Split.ONE: cumulative probabilities, one per target. Split.SOME: one probability per target.
    weights: tuple[float, ...] = ()
    default_target: int = -1  # Split.SOME: the target taken when no other is
    incoming_slots: Mapping[str, int] = field(default_factory=dict)  # flow id -> slot, for joins
    is_activity: bool = False
    duration: Distribution | None = None
    sampler: Sampler = NO_TIME
    resource: int = -1
    link_target: int = -1
    interrupting: tuple[tuple[float, int], ...] = ()  # (cumulative probability, boundary event index)
    non_interrupting: tuple[tuple[float, int], ...] = ()  # (probability, boundary event index)
    # Boundary timers given no probability, counted from the token's arrival (waiting for a
    # person included): (minutes, boundary event index, interrupting), soonest first.
    timers: tuple[tuple[float, int, bool], ...] = ()


@dataclass(frozen=True, slots=True)
class ResourcePool:
    index: int
    id: str
    name: str | None
    capacity: int


@dataclass(frozen=True, slots=True)
class SimulationModel:
    process_id: str
    nodes: tuple[SimNode, ...]
    start: int
    resources: tuple[ResourcePool, ...]
    settings: RunSettings
    # For inclusive joins: reachable[i] holds every node index a token at node i can still reach.
    reachable: tuple[frozenset[int], ...]
    has_inclusive_joins: bool


class _Builder:
    def __init__(self, process: ProcessSpec, parameters: dict[str, Any], problems: list[SimulationProblem]) -> None:
        self.process = process
        self.parameters = parameters
        self.problems = problems
        self.node_ids = list(process.nodes)
        self.index = {node_id: number for number, node_id in enumerate(self.node_ids)}
        self.nodes: list[SimNode] = []
        self.resource_ids: list[str] = []
        self.resource_names: dict[str, str | None] = {}

    def refuse(self, code: str, message: str, element_id: str | None = None, parameter: str | None = None) -> None:
        line = None
        if element_id is not None:
            node = self.process.find_node(element_id)
            flow = self.process.flows.get(element_id)
            line = node.line if node is not None else flow.line if flow is not None else None
        self.problems.append(SimulationProblem(code, message, element_id, parameter, line))

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.parameters.get(key, {})
        if not isinstance(value, dict):
            self.refuse("parameter-invalid", f"'{key}' must be an object keyed by element id.", parameter=key)
            return {}
        return value

    # Nodes -------------------------------------------------------------------------------------------

    def build(self) -> None:
        lane_of = self._lanes()
        activities = self.mapping("activities")
        self._check_activity_keys(activities)
        for number, (node_id, node) in enumerate(self.process.nodes.items()):
            sim = SimNode(number, node_id, node.name, self._behaviour(node))
            if sim.behaviour is Behaviour.TIMED:
                self._timing(sim, node, activities.get(node_id), lane_of.get(node_id))
            self.nodes.append(sim)
        self._flows()
        self._links()

    def _lanes(self) -> dict[str, str]:
        """The innermost lane of each node (child lanes come after their parent)."""
        lane_of: dict[str, str] = {}
        for lane in self.process.lanes:
            for node_id in lane.flow_node_ids:
                lane_of[node_id] = lane.id
                self.resource_names.setdefault(lane.id, lane.name)
        return lane_of

    def _behaviour(self, node: FlowNode) -> Behaviour:
        if isinstance(node, ComplexGateway | UnsupportedNode):
            what = "complex gateway" if isinstance(node, ComplexGateway) else f"'{node.tag}' element"
            self.refuse("element-unsupported", f"The simulation cannot run the {what} '{node.id}'.", node.id)
            return Behaviour.END
        if isinstance(node, Activity):
            return Behaviour.TIMED
        kinds = {type(definition) for definition in _event_definitions(node)}
        if isinstance(node, EndEvent):
            return Behaviour.TERMINATE if TerminateEventDefinition in kinds else Behaviour.END
        if isinstance(node, IntermediateThrowEvent) and LinkEventDefinition in kinds:
            return Behaviour.LINK_THROW
        if isinstance(node, IntermediateCatchEvent) and LinkEventDefinition not in kinds:
            return Behaviour.TIMED
        if not node.outgoing and not isinstance(node, BoundaryEvent | StartEvent):
            return Behaviour.END  # a path may end at any node without outgoing flows
        return Behaviour.PASS

    def _check_activity_keys(self, activities: dict[str, Any]) -> None:
        for element_id in activities:
            node = self.process.nodes.get(element_id)
            waits = isinstance(node, IntermediateCatchEvent) and _link_name(node) is None
            if not (isinstance(node, Activity) or waits):
                self._unknown(element_id, f"activities.{element_id}", "an activity or an intermediate catch event")

    def _unknown(self, element_id: str, parameter: str, wanted: str) -> None:
        if element_id in self.process.scope_of:
            scope = self.process.scope_of[element_id]
            if scope != self.process.id:
                message = f"'{element_id}' is inside subprocess '{scope}', which is simulated as one activity."
                self.refuse("element-inside-subprocess", message, element_id, parameter)
                return
            message = f"'{element_id}' is not {wanted}."
        else:
            message = f"There is no element '{element_id}' in process '{self.process.id}'."
        self.refuse("element-unknown", message, element_id, parameter)

    def _timing(self, sim: SimNode, node: FlowNode, raw: object, lane_id: str | None) -> None:
        sim.is_activity = isinstance(node, Activity)
        duration, resource = self._defaults(node, lane_id)
        if raw is not None:
            path = f"activities.{node.id}"
            if not isinstance(raw, dict):
                self.refuse(
                    "parameter-invalid", f"'{path}' must be an object with a duration and a resource.", node.id, path
                )
                raw = {}
            for key in sorted(set(raw) - ACTIVITY_KEYS):
                self.refuse(
                    "parameter-unknown", f"'{path}' takes duration and resource, not '{key}'.", node.id, f"{path}.{key}"
                )
            if "duration" in raw:
                duration = parse_distribution(raw["duration"], f"{path}.duration", node.id, self.problems) or duration
            if "resource" in raw:
                resource = self._resource_setting(node, raw["resource"], f"{path}.resource")
        sim.duration = duration
        sim.sampler = duration.sampler()
        if resource is not None:
            sim.resource = self._resource_index(resource)

    def _defaults(self, node: FlowNode, lane_id: str | None) -> tuple[Distribution, str | None]:
        if isinstance(node, HUMAN_ACTIVITIES) and not isinstance(node, AUTOMATED_ACTIVITIES):
            groups = [group for group in node.extensions.candidate_groups if isinstance(group, str)]
            resource = lane_id if lane_id is not None else (groups[0] if groups else None)
            return fixed(HUMAN_MINUTES), resource
        if isinstance(node, SubProcess | CallActivity):
            return fixed(CONTAINER_MINUTES), None
        if isinstance(node, IntermediateCatchEvent):
            return fixed(timer_minutes(_event_definitions(node)) or 0), None
        return fixed(0), None

    def _resource_setting(self, node: FlowNode, value: object, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.refuse("parameter-invalid", f"'{path}' must be a lane id, a group name or null.", node.id, path)
            return None
        if not isinstance(node, Activity):
            self.refuse(
                "parameter-invalid", f"'{node.id}' is an event; only activities take a resource.", node.id, path
            )
            return None
        return value

    def _resource_index(self, resource_id: str) -> int:
        if resource_id not in self.resource_ids:
            self.resource_ids.append(resource_id)
        return self.resource_ids.index(resource_id)

    # Flows -------------------------------------------------------------------------------------------

    def _flows(self) -> None:
        probabilities = self.mapping("probabilities")
        used: set[str] = set()
        for node_id, node in self.process.nodes.items():
            sim = self.nodes[self.index[node_id]]
            targets = []
            for flow_id in node.outgoing:
                flow = self.process.flows.get(flow_id)
                if flow is None or flow.target not in self.index:
                    target = flow.target if flow is not None else "?"
                    self.refuse(
                        "flow-target-unknown",
                        f"Sequence flow '{flow_id}' leads to '{target}', which is "
                        f"not a flow node of process '{self.process.id}'.",
                        flow_id,
                    )
                    continue
                targets.append((flow_id, self.index[flow.target]))
            sim.targets = tuple(targets)
            sim.incoming_slots = {flow_id: slot for slot, flow_id in enumerate(node.incoming)}
            if isinstance(node, ParallelGateway) and len(node.incoming) > 1:
                sim.join = Join.PARALLEL
            if isinstance(node, InclusiveGateway) and len(node.incoming) > 1:
                sim.join = Join.INCLUSIVE
            self._split(sim, node, probabilities, used)
            if isinstance(node, Activity):
                self._boundaries(sim, node, probabilities, used)
        for key in probabilities:
            if key not in used:
                flow = self.process.flows.get(key)
                if flow is not None:
                    source = self.process.nodes.get(flow.source)
                    kind = source.tag if source is not None else "element"
                    message = (
                        f"Sequence flow '{key}' leaves the {kind} '{flow.source}', which does not choose among "
                        "its flows; only exclusive, inclusive and event-based gateways and conditional flows "
                        "take probabilities."
                    )
                    self.refuse("probability-not-applicable", message, key, f"probabilities.{key}")
                else:
                    self._unknown(key, f"probabilities.{key}", "a sequence flow or a boundary event")

    def _split(self, sim: SimNode, node: FlowNode, probabilities: dict[str, Any], used: set[str]) -> None:
        if isinstance(node, ExclusiveGateway | EventBasedGateway):
            sim.split = Split.ONE
        elif isinstance(node, InclusiveGateway) or self._conditional(node, sim):
            sim.split = Split.SOME
        if sim.split is Split.ALL or not sim.targets:
            return
        given: dict[str, float] = {}
        for flow_id, _ in sim.targets:
            if flow_id in probabilities:
                used.add(flow_id)
                number = self._probability(probabilities[flow_id], flow_id)
                if number is not None:
                    given[flow_id] = number
        if sim.split is Split.ONE:
            self._exclusive_weights(sim, node, given)
        else:
            self._inclusive_weights(sim, node, given)

    def _conditional(self, node: FlowNode, sim: SimNode) -> bool:
        """An element other than a gateway with a conditional flow chooses like an inclusive gateway."""
        flows = self.process.flows
        conditional = any(flows[flow_id].condition is not None for flow_id, _ in sim.targets)
        return conditional and not isinstance(node, ParallelGateway)

    def _probability(self, value: object, element_id: str) -> float | None:
        number = read_number(value)
        if number is None or not 0 <= number <= 1:
            message = f"The probability of '{element_id}' must be a number from 0 to 1."
            self.refuse("probability-invalid", message, element_id, f"probabilities.{element_id}")
            return None
        return number

    def _exclusive_weights(self, sim: SimNode, node: FlowNode, given: dict[str, float]) -> None:
        """Flows left out share what the given ones leave equally; together they must make 1."""
        missing = [flow_id for flow_id, _ in sim.targets if flow_id not in given]
        left = 1.0 - math.fsum(given.values())
        share = left / len(missing) if missing else 0.0
        if left < -SUM_TOLERANCE or (not missing and abs(left) > SUM_TOLERANCE):
            total = math.fsum(given.values())
            message = (
                f"The probabilities of the flows leaving gateway '{node.id}' add up to {total:g}; they must add "
                "up to 1."
            )
            self.refuse("probabilities-not-one", message, node.id, "probabilities")
            return
        cumulative, weights = 0.0, []
        for flow_id, _ in sim.targets:
            cumulative += given.get(flow_id, share)
            weights.append(cumulative)
        weights[-1] = math.inf  # rounding never leaves a draw without a flow
        sim.weights = tuple(weights)

    def _inclusive_weights(self, sim: SimNode, node: FlowNode, given: dict[str, float]) -> None:
        """Each flow is taken by its own probability (0.5 unless given); the default flow when none is."""
        default_flow = getattr(node, "default_flow", None)
        weights = []
        for position, (flow_id, _) in enumerate(sim.targets):
            if flow_id == default_flow:
                sim.default_target = position
                weights.append(0.0)
                if flow_id in given:
                    message = f"'{flow_id}' is the default flow of '{node.id}': it is taken when no other flow is."
                    self.refuse("probability-not-applicable", message, flow_id, f"probabilities.{flow_id}")
            else:
                weights.append(given.get(flow_id, INCLUSIVE_DEFAULT_SHARE))
        if sim.default_target < 0 and not any(weights):
            message = f"No flow leaving '{node.id}' can be taken: give one of them a probability above 0."
            self.refuse("probabilities-all-zero", message, node.id, "probabilities")
        sim.weights = tuple(weights)

    def _boundaries(self, sim: SimNode, node: Activity, probabilities: dict[str, Any], used: set[str]) -> None:
        """Boundary events happen by their probability (0 unless given), when the activity's work
        ends; a boundary timer of a literal duration given no probability fires by its time."""
        interrupting, non_interrupting, timers, cumulative = [], [], [], 0.0
        for event_id in node.boundary_event_ids:
            event = self.process.nodes.get(event_id)
            if not isinstance(event, BoundaryEvent):
                continue
            if event_id not in probabilities:
                minutes = timer_minutes(_event_definitions(event))
                if minutes is not None:
                    timers.append((minutes, self.index[event_id], event.cancel_activity))
                continue
            used.add(event_id)
            number = self._probability(probabilities[event_id], event_id)
            if not number:
                continue
            if event.cancel_activity:
                cumulative += number
                interrupting.append((cumulative, self.index[event_id]))
            else:
                non_interrupting.append((number, self.index[event_id]))
        if cumulative > 1 + SUM_TOLERANCE:
            message = (
                f"The interrupting boundary events of '{node.id}' have probabilities adding up to "
                f"{cumulative:g}; at most one of them happens, so they may add up to 1 at most."
            )
            self.refuse("probabilities-above-one", message, node.id, "probabilities")
        sim.interrupting, sim.non_interrupting = tuple(interrupting), tuple(non_interrupting)
        sim.timers = tuple(sorted(timers))

    def _links(self) -> None:
        catches: dict[str, int] = {}
        for node_id, node in self.process.nodes.items():
            if isinstance(node, IntermediateCatchEvent):
                name = _link_name(node)
                if name is not None:
                    catches.setdefault(name, self.index[node_id])
        for node_id, node in self.process.nodes.items():
            sim = self.nodes[self.index[node_id]]
            if sim.behaviour is Behaviour.LINK_THROW:
                name = _link_name(node) or ""
                if name not in catches:
                    message = f"The link event '{node_id}' jumps to link '{name}', which no catch event receives."
                    self.refuse("link-target-unknown", message, node_id)
                sim.link_target = catches.get(name, -1)

    # Resources ----------------------------------------------------------------------------------------

    def pools(self) -> tuple[ResourcePool, ...]:
        capacities = self.mapping("resources")
        for resource_id, value in capacities.items():
            if resource_id not in self.resource_ids:
                message = (
                    f"No activity needs the resource '{resource_id}': a resource is a lane, a candidate group of "
                    "a task in no lane, or a name given as an activity's resource."
                )
                self.refuse("resource-unknown", message, parameter=f"resources.{resource_id}")
            elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CAPACITY:
                message = f"The number of people of '{resource_id}' must be a whole number from 1 to {MAX_CAPACITY:,}."
                self.refuse("resource-invalid", message, parameter=f"resources.{resource_id}")
        pools = []
        for number, resource_id in enumerate(self.resource_ids):
            value = capacities.get(resource_id, DEFAULT_CAPACITY)
            capacity = value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else 1
            pools.append(ResourcePool(number, resource_id, self.resource_names.get(resource_id), capacity))
        return tuple(pools)

    # Start -------------------------------------------------------------------------------------------

    def start(self) -> int:
        """The none start event (the first one), else the first start event of any kind."""
        starts = [node_id for node_id in self.process.start_node_ids if node_id in self.index]
        starts = [node_id for node_id in starts if isinstance(self.process.nodes[node_id], StartEvent)]
        if not starts:
            message = f"Process '{self.process.id}' has no start event, so no instance can start."
            self.refuse("no-start-event", message, self.process.id)
            return -1
        plain = [node_id for node_id in starts if not _event_definitions(self.process.nodes[node_id])]
        return self.index[(plain or starts)[0]]


def _event_definitions(node: FlowNode) -> tuple[EventDefinition, ...]:
    return node.event_definitions if isinstance(node, Event) else ()


def _link_name(node: FlowNode) -> str | None:
    for definition in _event_definitions(node):
        if isinstance(definition, LinkEventDefinition):
            return definition.name or ""
    return None


def reachable_sets(nodes: list[SimNode]) -> tuple[frozenset[int], ...]:
    """For each node, every node a token there can still reach (itself only through a cycle)."""
    successors = [
        {target for _, target in node.targets}
        | ({node.link_target} if node.link_target >= 0 else set())
        | {index for _, index in node.interrupting + node.non_interrupting}
        for node in nodes
    ]
    result = []
    for node in nodes:
        seen: set[int] = set()
        frontier = list(successors[node.index])
        while frontier:
            current = frontier.pop()
            if current not in seen:
                seen.add(current)
                frontier.extend(successors[current])
        result.append(frozenset(seen))
    return tuple(result)


def choose_process(
    definitions: Definitions, process_id: str | None, problems: list[SimulationProblem]
) -> ProcessSpec | None:
    """The process named, else the first executable process, else the first process."""
    if process_id is not None:
        process = definitions.processes.get(process_id)
        if process is None:
            message = f"There is no process '{process_id}' in the model."
            problems.append(SimulationProblem("process-unknown", message, process_id, "process"))
        return process
    processes = list(definitions.processes.values())
    executable = [process for process in processes if process.is_executable]
    candidates = executable or processes
    if not candidates:
        problems.append(SimulationProblem("no-process", "The model holds no process to simulate."))
        return None
    return candidates[0]


def build_simulation_model(
    definitions: Definitions, settings: RunSettings, parameters: dict[str, Any], problems: list[SimulationProblem]
) -> SimulationModel | None:
    """Return the model to simulate, or ``None`` when problems were found (all of them added)."""
    process = choose_process(definitions, settings.process_id, problems)
    if process is None:
        return None
    builder = _Builder(process, parameters, problems)
    builder.build()
    start = builder.start()
    pools = builder.pools()
    if problems:
        return None
    nodes = builder.nodes
    return SimulationModel(
        process_id=process.id,
        nodes=tuple(nodes),
        start=start,
        resources=pools,
        settings=settings,
        reachable=reachable_sets(nodes),
        has_inclusive_joins=any(node.join is Join.INCLUSIVE for node in nodes),
    )
