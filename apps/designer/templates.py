"""Templates a new model may start from: the starter library every tenant has, and the models a
tenant saved as templates of its own (``TenantTemplate``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from apps.designer.models import TenantTemplate
from apps.engine.bpmn import parse_definitions

STARTERS = Path(__file__).resolve().parent / "starter_templates"


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    description: str
    starter: bool  # from the library every tenant has, else the tenant's own


@cache
def _starters() -> dict[str, tuple[Template, bytes]]:
    """The starter library's files, read once: ``<key>.bpmn``, named by their first process."""
    found: dict[str, tuple[Template, bytes]] = {}
    for path in sorted(STARTERS.glob("*.bpmn")):
        xml = path.read_bytes()
        definitions = parse_definitions(xml).definitions
        processes = list(definitions.processes.values()) if definitions is not None else []
        name = (processes[0].name if processes else "") or path.stem.replace("_", " ").capitalize()
        found[path.stem] = (Template(path.stem, name, _description(path), starter=True), xml)
    return found


def _description(path: Path) -> str:
    text = path.with_suffix(".txt")
    return text.read_text().strip() if text.exists() else ""


def available() -> list[Template]:
    """The starter templates, then the tenant's own, by name."""
    own = [
        Template(template.key, template.name, template.description, starter=False)
        for template in TenantTemplate.objects.all()
    ]
    return [template for template, _ in _starters().values()] + own


def is_starter(key: str) -> bool:
    return key in _starters()


def xml_of(key: str) -> bytes | None:
    """The XML a model made from template ``key`` starts with (None: no such template)."""
    if key in _starters():
        return _starters()[key][1]
    own = TenantTemplate.objects.filter(key=key).values_list("xml", flat=True).first()
    return own.encode() if own is not None else None
