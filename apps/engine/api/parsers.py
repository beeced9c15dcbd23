"""Request parsers of the engine API."""

from __future__ import annotations

from typing import Any

from rest_framework.parsers import BaseParser


class XmlBytesParser(BaseParser):
    """Hands a BPMN body over as bytes: only the engine's hardened reader parses it."""

    media_type = "application/xml"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> bytes:
        return bytes(stream.read()) if stream is not None else b""


class TextXmlBytesParser(XmlBytesParser):
    media_type = "text/xml"
