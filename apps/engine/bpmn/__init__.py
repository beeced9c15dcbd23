"""BPMN 2.0 for the engine: the hardened parser, immutable specs and validation.

Pure Python with no Django imports, so it can be tested and benchmarked alone. Deploying a
model is ``parse_definitions`` then ``validate``; it is accepted when neither returns an error.
"""

from apps.engine.bpmn.parser import ParseResult as ParseResult
from apps.engine.bpmn.parser import parse_definitions as parse_definitions
from apps.engine.bpmn.problems import Problem as Problem
from apps.engine.bpmn.problems import Severity as Severity
from apps.engine.bpmn.problems import has_errors as has_errors
from apps.engine.bpmn.validation import validate as validate
