"""Every BPMN MIWG reference model parses and validates; executable ones give exactly these problems.

The files (../shared/bpmn/miwg, see its README) test model interchange, not execution. Most of
their processes are not executable: they must load with warnings at most. The executable ones
lean on events that come in a later release and on vendor settings; the errors listed for each
are what keeps it from deploying today, written out after reading the file.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from apps.engine.bpmn.names import BPMN
from apps.engine.bpmn.parser import FLOW_NODES, parse_definitions
from apps.engine.bpmn.spec import Definitions
from apps.engine.bpmn.validation import validate
from tests.engine.bpmn.modeling import refuse_at_signs

# The reference files live beside the repository, in ../shared/bpmn/miwg.
# The OMG BPMN MIWG reference models (CC BY 3.0, see LICENSE.txt there), kept with the tests.
MIWG = Path(__file__).resolve().parent / "miwg"

# Only warnings: unmarked gateways without conditions, collapsed subprocesses drawn empty.
NOT_EXECUTABLE = {
    "A.1.0.bpmn": {},
    "A.2.0.bpmn": {"gateway-condition-missing": 3},
    "A.2.1.bpmn": {"gateway-condition-missing": 2},
    "A.3.0.bpmn": {"no-start-event": 1},
    "A.4.0.bpmn": {},
    "A.4.1.bpmn": {},
    "B.1.0.bpmn": {"gateway-condition-missing": 4, "no-start-event": 1},
    "B.2.0.bpmn": {"gateway-condition-missing": 4, "no-start-event": 2},
    "C.2.0.bpmn": {"gateway-condition-missing": 6},
    "C.4.0.bpmn": {"gateway-condition-missing": 4},
    "C.5.0.bpmn": {"gateway-condition-missing": 12},
    "C.6.0.bpmn": {},
    "C.7.0.bpmn": {"gateway-condition-missing": 2},
    "C.8.0.bpmn": {},
}

EXECUTABLE = {
    # Invoice receipt (Camunda/Activiti): a message start event; the archive service task injects
    # camunda:field values, which handlers do not take. Potential owners name resources only.
    "C.1.0.bpmn": (
        [
            ("unsupported-feature", "archiveInvoice", 572),
            ("unsupported-feature", "archiveInvoice", 573),
            ("unsupported-feature", "archiveInvoice", 576),
            ("unsupported-feature", "archiveInvoice", 579),
            ("unsupported-feature", "archiveInvoice", 584),
        ],
        {"feature-ignored": 4},
    ),
    # The same process for execution: a none start this time, still the camunda:field injection;
    # data output associations to data objects and resource-only owners are ignored.
    "C.1.1.bpmn": (
        [
            ("unsupported-feature", "archiveInvoice", 254),
            ("unsupported-feature", "archiveInvoice", 255),
            ("unsupported-feature", "archiveInvoice", 258),
            ("unsupported-feature", "archiveInvoice", 261),
            ("unsupported-feature", "archiveInvoice", 266),
        ],
        {"feature-ignored": 7},
    ),
    # Fridge repair: message start, start/completion quantity 2, a collapsed subprocess with no
    # content, splits named but without conditions, timer and message boundary events.
    "C.3.0.bpmn": (
        [
            ("unsupported-feature", "_c73a5f4a-72f1-4e11-bb40-2f98da75fb9a", 75),
            ("unsupported-feature", "_c73a5f4a-72f1-4e11-bb40-2f98da75fb9a", 75),
            ("no-start-event", "_cd6f230f-13c3-4027-aa3e-57de601a1ab2", 244),
            ("gateway-condition-missing", "_b99800c3-c340-460c-a43e-098014a365d0", 277),
            ("gateway-condition-missing", "_437e5969-1e61-4cb9-aa76-4f8854f32eeb", 289),
            ("gateway-condition-missing", "_ada039b6-94dd-4a15-a6b1-c7fe662c64ee", 301),
            ("gateway-condition-missing", "_cddf9325-a85b-4347-8c57-8b909fa77ae9", 313),
            ("gateway-condition-missing", "_cf380e47-1401-4e7e-b710-193b626e49eb", 386),
            ("gateway-condition-missing", "_3fb323d5-2c59-487a-af63-804208f6c5cb", 398),
        ],
        {"feature-ignored": 1},
    ),
    # Vacation request with Zeebe workers: DMN transformations on data output associations and an
    # error boundary event; 30 plain data associations are ignored.
    "C.8.1.bpmn": (
        [
            ("unsupported-feature", "_2b960d84-feb1-46a9-a1a1-c300dd996b99", 295),
            ("unsupported-feature", "_1a818a94-ba6f-413b-a7e8-6f8fd2a11e32", 371),
            ("unsupported-feature", "_1a818a94-ba6f-413b-a7e8-6f8fd2a11e32", 378),
        ],
        {"feature-ignored": 30},
    ),
    # Customer onboarding (Zeebe): event subprocesses with error and message starts, message end
    # events, an error boundary, a DMN decision, and a call to ManualCheck (defined in C.9.2).
    "C.9.0.bpmn": (
        [
            ("call-activity-unknown-key", "Activity_ManualCheck", 174),
            ("unsupported-feature", "BusinessRuleTask_CheckApplicationAutomatically", 268),
        ],
        {},
    ),
    # Document request: two timer boundary events on the receive task; both Camunda 7 topics and
    # Zeebe task types are given, the Camunda ones are used.
    "C.9.1.bpmn": (
        [],
        {"feature-ignored": 2},
    ),
    # Manual check: a timer boundary, three event subprocesses (message, timer, message starts),
    # error end events, and a call to requestDocument_en (defined in C.9.1).
    "C.9.2.bpmn": (
        [
            ("call-activity-unknown-key", "CallActivity_RequestDocument", 110),
        ],
        {},
    ),
}


@cache
def load(name: str) -> Definitions:
    """Parse a reference file once for all tests (specs are immutable, so sharing is safe)."""
    result = parse_definitions((MIWG / name).read_bytes())
    assert result.problems == ()
    assert result.definitions is not None
    return result.definitions


def validate_file(name: str, known_process_keys: frozenset[str] = frozenset()) -> tuple[list, dict[str, int]]:
    problems = validate(
        load(name),
        compile_expression=refuse_at_signs,
        compile_script=refuse_at_signs,
        known_process_keys=known_process_keys,
    )
    errors = [(problem.code, problem.element_id, problem.line) for problem in problems if problem.severity == "error"]
    warnings = Counter(problem.code for problem in problems if problem.severity == "warning")
    return errors, dict(warnings)


def test_every_reference_file_has_an_expected_outcome():
    assert sorted(path.name for path in MIWG.glob("*.bpmn")) == sorted({*NOT_EXECUTABLE, *EXECUTABLE})


@pytest.mark.parametrize("name", sorted(NOT_EXECUTABLE))
def test_models_without_an_executable_process_load_with_warnings_at_most(name):
    definitions = load(name)

    assert not any(process.is_executable for process in definitions.processes.values())
    assert definitions.has_diagram is True
    assert validate_file(name) == ([], NOT_EXECUTABLE[name])


@pytest.mark.parametrize("name", sorted(EXECUTABLE))
def test_executable_models_are_refused_with_precise_problems(name):
    assert any(process.is_executable for process in load(name).processes.values())
    assert validate_file(name) == EXECUTABLE[name]


def test_the_c9_call_chain_resolves_once_the_called_processes_are_deployed():
    errors, _ = validate_file("C.9.0.bpmn", known_process_keys=frozenset({"ManualCheck"}))
    assert "call-activity-unknown-key" not in {code for code, _, _ in errors}
    errors, _ = validate_file("C.9.2.bpmn", known_process_keys=frozenset({"requestDocument_en"}))
    assert "call-activity-unknown-key" not in {code for code, _, _ in errors}


@pytest.mark.parametrize("name", sorted({*NOT_EXECUTABLE, *EXECUTABLE}))
def test_every_flow_node_and_sequence_flow_is_kept(name):
    """Count the flow elements in the XML independently of the parser and compare."""
    root = etree.parse(MIWG / name).getroot()
    definitions = load(name)
    for process_element in root.iter(f"{{{BPMN}}}process"):
        expected = {
            element.get("id")
            for element in process_element.iter()
            if isinstance(element.tag, str)
            and element.tag.startswith(f"{{{BPMN}}}")
            and element.tag.split("}")[1] in {*FLOW_NODES, "sequenceFlow"}
        }
        process = definitions.processes[process_element.get("id")]
        assert set(process.scope_of) == expected
