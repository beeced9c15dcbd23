"""Hostile and broken input is refused quickly with a problem, never a traceback or a connection."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from lxml import etree

from apps.engine.bpmn import xml
from apps.engine.bpmn.parser import parse_definitions
from apps.engine.bpmn.problems import Severity
from tests.engine.bpmn.modeling import read_model, summarize


class Listener:
    """A TCP listener on a free loopback port that counts the connections it accepts."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.socket.settimeout(0.05)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.running:
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self) -> int:
        """Stop listening (after one more accept timeout) and return how many connections came."""
        self.running = False
        self.thread.join()
        self.socket.close()
        return self.connections


@pytest.fixture
def listener() -> Iterator[Listener]:
    listening = Listener()
    yield listening
    listening.close()


class CountingParser(etree.XMLPullParser):  # type: ignore[misc]
    """The reader's parser, counting how many chunks it is fed."""

    chunks_fed = 0

    def feed(self, data: bytes) -> None:
        CountingParser.chunks_fed += 1
        super().feed(data)


@pytest.fixture
def counting_parser(monkeypatch) -> type[CountingParser]:
    CountingParser.chunks_fed = 0
    monkeypatch.setattr(xml.etree, "XMLPullParser", CountingParser)
    return CountingParser


def codes_of(data: object, **limits: int) -> list[tuple[str, str, str | None, int | None]]:
    result = parse_definitions(data, **limits)  # type: ignore[arg-type]
    assert result.definitions is None
    return summarize(result.problems)


DOCTYPE_REFUSED = [("error", "xml-doctype-forbidden", None, None)]


def test_an_external_entity_to_a_file_is_refused():
    data = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]><d>&secret;</d>'

    assert codes_of(data) == DOCTYPE_REFUSED


def test_an_external_entity_to_the_network_is_refused_without_connecting(listener):
    url = f"http://127.0.0.1:{listener.port}/entity"
    data = f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY remote SYSTEM "{url}">]><d>&remote;</d>'.encode()

    assert codes_of(data) == DOCTYPE_REFUSED
    assert listener.close() == 0


def test_an_external_dtd_is_refused_without_connecting(listener):
    url = f"http://127.0.0.1:{listener.port}/schema.dtd"
    data = f'<?xml version="1.0"?><!DOCTYPE definitions SYSTEM "{url}"><definitions/>'.encode()

    assert codes_of(data) == DOCTYPE_REFUSED
    assert listener.close() == 0


def test_a_doctype_the_byte_check_cannot_see_is_refused_after_parsing_without_connecting(listener):
    url = f"http://127.0.0.1:{listener.port}/schema.dtd"
    data = f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d SYSTEM "{url}"><d/>'.encode("utf-16")
    assert b"<!DOCTYPE" not in data

    assert codes_of(data) == DOCTYPE_REFUSED
    assert listener.close() == 0


def test_billion_laughs_is_refused_before_parsing(counting_parser):
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    data = f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{entities}]><lolz>&lol9;</lolz>'.encode()

    assert codes_of(data) == DOCTYPE_REFUSED
    assert counting_parser.chunks_fed == 0


def test_a_100_mb_body_is_refused_by_size_before_parsing(counting_parser):
    data = b"<definitions>".ljust(100_000_000, b" ")

    assert codes_of(data) == [("error", "xml-too-large", None, None)]
    assert counting_parser.chunks_fed == 0


def test_the_size_cap_is_a_parameter():
    data = read_model("minimal.bpmn")

    assert codes_of(data, max_bytes=len(data) - 1) == [("error", "xml-too-large", None, None)]
    assert parse_definitions(data, max_bytes=len(data)).definitions is not None


def test_ten_thousand_levels_of_nesting_are_refused_at_the_first_chunk(counting_parser):
    data = b"<a>" * 10_000 + b"<b/>" * 1_000_000 + b"</a>" * 10_000

    assert codes_of(data) == [("error", "xml-too-deep", None, 1)]
    assert counting_parser.chunks_fed == 1


def test_the_depth_cap_counts_levels_and_is_a_parameter():
    def nested(levels: int) -> bytes:
        return b"<a>\n" * levels + b"</a>" * levels

    assert codes_of(nested(101)) == [("error", "xml-too-deep", None, 101)]
    assert codes_of(nested(11), max_depth=10) == [("error", "xml-too-deep", None, 11)]
    # 100 levels are fine for the reader; the document is then no BPMN.
    assert codes_of(nested(100)) == [("error", "not-bpmn-definitions", None, 1)]


@pytest.mark.parametrize("data", ["<definitions/>", bytearray(b"<definitions/>"), None, 42])
def test_anything_but_bytes_is_refused(data):
    problems = parse_definitions(data).problems  # type: ignore[arg-type]

    assert [(problem.code, problem.severity) for problem in problems] == [("xml-not-bytes", Severity.ERROR)]


def test_malformed_xml_is_a_problem_with_its_line():
    data = b'<?xml version="1.0"?>\n<definitions>\n  <process id="p">\n  </definitions>\n'

    problems = parse_definitions(data).problems

    assert summarize(problems) == [("error", "xml-syntax", None, 4)]
    assert "Opening and ending tag mismatch" in problems[0].message


def test_an_empty_document_is_a_problem():
    assert codes_of(b"  \n") == [("error", "xml-syntax", None, 1)]


def test_a_document_that_is_not_bpmn_is_refused():
    data = b'<?xml version="1.0"?>\n<definitions xmlns="http://example.com/not-bpmn"/>'

    assert codes_of(data) == [("error", "not-bpmn-definitions", None, 2)]


def test_comments_and_processing_instructions_are_dropped():
    data = read_model("minimal.bpmn").replace(
        b'<bpmn:task id="work" name="Work" />',
        b'<!-- a note --><?render fast?><bpmn:task id="work" name="Work" />',
    )

    result = parse_definitions(data)

    assert result.problems == ()
    assert result.definitions is not None
    assert list(result.definitions.processes["minimal"].nodes) == ["start", "work", "end"]
