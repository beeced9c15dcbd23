"""The hardened XML reader: bytes in, an lxml tree or problems out, never a traceback.

Refused before parsing: anything that is not ``bytes``, a body over the size cap, and any
DOCTYPE or ENTITY declaration (checked on the raw bytes). The parser itself resolves no
entities, loads no DTD, touches no network and keeps no comments or processing instructions;
the depth cap is checked while parsing, so a deeply nested body stops early. A DOCTYPE that
hides from the byte check (say in UTF-16) is still refused after parsing, and by then nothing
was loaded because of it.

lxml ships no type information, so elements are typed ``Element`` (``Any``) and read only
through the typed accessors at the bottom of this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

from lxml import etree

from apps.engine.bpmn.problems import Problem, error

Element: TypeAlias = Any

DEFAULT_MAX_BYTES = 10_000_000
DEFAULT_MAX_DEPTH = 100
FORBIDDEN_MARKUP = (b"<!DOCTYPE", b"<!ENTITY")
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class XmlDocument:
    """The parsed root element, or ``None`` with the problems that stopped the reading."""

    root: Element | None
    problems: tuple[Problem, ...] = ()


def read_xml(data: object, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH) -> XmlDocument:
    """Parse ``data`` with every protection on; refuse hostile or oversized input with a problem.

    libxml2 refuses nesting deeper than 256 levels by itself, so a ``max_depth`` above 255
    has no further effect.
    """
    if not isinstance(data, bytes):
        message = f"A BPMN document must be given as bytes, not {type(data).__name__}."
        return XmlDocument(None, (error("xml-not-bytes", message),))
    refusal = _refuse_before_parsing(data, max_bytes)
    if refusal is not None:
        return XmlDocument(None, (refusal,))
    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    depth = _DepthWatch(max_depth)
    try:
        for offset in range(0, len(data), CHUNK_BYTES):
            parser.feed(data[offset : offset + CHUNK_BYTES])
            too_deep = depth.follow(parser.read_events())
            if too_deep is not None:
                return XmlDocument(None, (too_deep,))
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        # Events parsed before the error are still queued: a depth overrun is reported as such.
        too_deep = depth.follow(parser.read_events())
        if too_deep is not None:
            return XmlDocument(None, (too_deep,))
        return XmlDocument(None, (_syntax_problem(exc),))
    if root.getroottree().docinfo.doctype:
        return XmlDocument(None, (_doctype_problem(),))
    return XmlDocument(root)


def _refuse_before_parsing(data: bytes, max_bytes: int) -> Problem | None:
    if len(data) > max_bytes:
        return error("xml-too-large", f"The document is {len(data):,} bytes; the limit is {max_bytes:,} bytes.")
    if not data.strip():
        return error("xml-syntax", "The document is empty.", line=1)
    if any(marker in data for marker in FORBIDDEN_MARKUP):
        return _doctype_problem()
    return None


def _doctype_problem() -> Problem:
    return error("xml-doctype-forbidden", "DOCTYPE and ENTITY declarations are not accepted in a BPMN document.")


def _syntax_problem(exc: etree.XMLSyntaxError) -> Problem:
    line = exc.lineno if isinstance(exc.lineno, int) else None
    message = str(exc.msg) if exc.msg else str(exc)
    return error("xml-syntax", f"The document is not well-formed XML: {message}", line=line)


class _DepthWatch:
    """Follow start/end events and report the first element nested deeper than the limit."""

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self.depth = 0

    def follow(self, events: Iterator[tuple[str, Element]]) -> Problem | None:
        for event, element in events:
            if event == "end":
                self.depth -= 1
                continue
            self.depth += 1
            if self.depth > self.max_depth:
                return error(
                    "xml-too-deep",
                    f"Elements are nested more than {self.max_depth} levels deep.",
                    line=line_of(element),
                )
        return None


def local_name(element: Element) -> str:
    """Return the tag without its namespace ('' for anything that is not an element)."""
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def namespace_of(element: Element) -> str:
    tag = element.tag
    if isinstance(tag, str) and tag.startswith("{"):
        return tag[1:].partition("}")[0]
    return ""


def child_elements(element: Element) -> Iterator[Element]:
    """Yield the child elements, skipping anything else lxml may keep in the tree."""
    for child in element:
        if isinstance(child.tag, str):
            yield child


def attribute(element: Element, name: str) -> str | None:
    value = element.get(name)
    return value if isinstance(value, str) else None


def attribute_items(element: Element) -> Iterator[tuple[str, str]]:
    for name, value in element.attrib.items():
        yield str(name), str(value)


def line_of(element: Element) -> int | None:
    line = element.sourceline
    return line if isinstance(line, int) else None


def text_of(element: Element) -> str:
    """Return all text inside the element (CDATA included), stripped."""
    return "".join(str(part) for part in element.itertext()).strip()
