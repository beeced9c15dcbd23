"""BPMN 2.0 for the engine: the hardened parser and immutable specs.

Pure Python with no Django imports, so it can be tested and benchmarked alone.
``parse_definitions`` reads a model and never raises for bad or hostile input.
"""

from apps.engine.bpmn.parser import ParseResult as ParseResult
from apps.engine.bpmn.parser import parse_definitions as parse_definitions
from apps.engine.bpmn.problems import Problem as Problem
from apps.engine.bpmn.problems import Severity as Severity
from apps.engine.bpmn.problems import has_errors as has_errors
