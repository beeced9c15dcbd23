"""What is wrong with a simulation request: each problem names the element or parameter it is about."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SimulationProblem:
    """One finding; ``code`` is stable (kebab-case), ``message`` is for people.

    ``element_id`` names the model element (a task, a gateway, a flow, a lane) and ``parameter``
    the path in the parameters (``activities.Task_1.duration.mean``) where that helps.
    """

    code: str
    message: str
    element_id: str | None = None
    parameter: str | None = None
    line: int | None = None

    def as_dict(self) -> dict[str, str | int | None]:
        return {
            "code": self.code,
            "message": self.message,
            "element_id": self.element_id,
            "parameter": self.parameter,
            "line": self.line,
        }


class SimulationInvalid(Exception):
    """The model or the parameters cannot be simulated; ``problems`` lists every reason found."""

    def __init__(self, problems: list[SimulationProblem]) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = tuple(problems)
