"""Compiled processes by definition id, kept in this process: definitions never change once deployed."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict

from apps.engine.bpmn import parse_definitions
from apps.engine.expressions import compile_expression, compile_script
from apps.engine.models import ProcessDefinition
from apps.engine.runtime import CompiledProcess

CACHE_SIZE = 512
_lock = threading.Lock()
_cache: OrderedDict[uuid.UUID, CompiledProcess] = OrderedDict()


def compiled_process(definition: ProcessDefinition) -> CompiledProcess:
    """The compiled process of ``definition``, parsed from its deployment's XML the first time."""
    with _lock:
        found = _cache.get(definition.id)
        if found is not None:
            _cache.move_to_end(definition.id)
            return found
    definitions = parse_definitions(definition.deployment.source_xml.encode("utf-8")).definitions
    if definitions is None or definition.key not in definitions.processes:
        raise LookupError(f"The deployment of {definition} no longer parses to process {definition.key!r}.")
    process = CompiledProcess.from_file(definitions, definition.key, compile_expression, compile_script)
    with _lock:
        _cache[definition.id] = process
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return process


_definitions: OrderedDict[uuid.UUID, ProcessDefinition] = OrderedDict()


def definition(definition_id: uuid.UUID) -> ProcessDefinition:
    """The definition ``definition_id`` (its deployment not loaded), kept in this process: a
    deployed definition never changes, so a trigger does not read it again."""
    with _lock:
        found = _definitions.get(definition_id)
        if found is not None:
            _definitions.move_to_end(definition_id)
            return found
    loaded = ProcessDefinition.objects.get(id=definition_id)
    with _lock:
        _definitions[definition_id] = loaded
        while len(_definitions) > CACHE_SIZE:
            _definitions.popitem(last=False)
    return loaded
