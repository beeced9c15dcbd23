"""Process simulation: run N simulated instances of a model with no side effects (docs/designer.md).

Pure Python with no Django imports: ``simulate`` parses the XML with the engine's hardened
parser, builds the simulator's table (``model``), runs the discrete-event simulator
(``simulator``) and summarizes the figures (``results``).
"""

from apps.designer.simulation.problems import SimulationInvalid as SimulationInvalid
from apps.designer.simulation.problems import SimulationProblem as SimulationProblem
from apps.designer.simulation.service import MAX_SEED as MAX_SEED
from apps.designer.simulation.service import simulate as simulate
