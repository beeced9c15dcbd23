"""``simulate``: run N simulated instances of a BPMN model and return the figures. Nothing is stored.

The XML is read only by the engine's hardened parser; the run is the pure simulator of this
package, so a simulation has no side effect anywhere (no database, no jobs, no events).
"""

from __future__ import annotations

from typing import Any

from apps.designer.simulation.model import build_simulation_model
from apps.designer.simulation.problems import SimulationInvalid, SimulationProblem
from apps.designer.simulation.results import summarize
from apps.designer.simulation.settings import read_run_settings
from apps.designer.simulation.simulator import SimulationFailed, Simulator
from apps.engine.bpmn import Severity, parse_definitions

MAX_SEED = 2**63 - 1


def simulate(xml: bytes, parameters: dict[str, Any], *, seed: int = 0) -> dict[str, Any]:
    """Simulate the model ``xml`` with ``parameters`` (docs/designer.md, "Simulation").

    The same XML, parameters and seed give the same result, to the byte once serialized.
    Raises ``SimulationInvalid`` listing every problem of the model or the parameters.
    """
    problems: list[SimulationProblem] = []
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        problems.append(
            SimulationProblem("seed-invalid", "The seed must be a whole number from 0 to 2**63 - 1.", parameter="seed")
        )
    if not isinstance(parameters, dict):
        problems.append(SimulationProblem("parameter-invalid", "The parameters must be a JSON object."))
        raise SimulationInvalid(problems)
    parsed = parse_definitions(xml)
    errors = [problem for problem in parsed.problems if problem.severity is Severity.ERROR]
    problems += [
        SimulationProblem(problem.code, problem.message, problem.element_id, line=problem.line) for problem in errors
    ]
    settings = read_run_settings(parameters, problems)
    if parsed.definitions is None or errors:
        raise SimulationInvalid(problems)
    model = build_simulation_model(parsed.definitions, settings, parameters, problems)
    if model is None or problems:
        raise SimulationInvalid(problems)
    try:
        raw = Simulator(model, seed).run()
    except SimulationFailed as failed:
        raise SimulationInvalid([failed.problem]) from failed
    return summarize(model, raw, seed)
