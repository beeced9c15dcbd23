"""Ctrl-C on ``make run`` stops every process the launcher started."""

from __future__ import annotations

import signal
from pathlib import Path

import psutil
import pytest

from tests.conftest import Platform
from tests.live import launch, wait_for_banner

pytestmark = pytest.mark.live


def test_sigint_stops_web_worker_and_scheduler(platform: Platform, tmp_path: Path) -> None:
    live = launch(tmp_path, "--skip-setup")
    launcher = live.process
    try:
        wait_for_banner(live, timeout=120)
        children = psutil.Process(launcher.pid).children(recursive=True)
        commands = [" ".join(child.cmdline()) for child in children]
        assert any("daphne" in command for command in commands)
        assert any("worker" in command for command in commands)
        assert any(" beat " in command for command in commands)

        launcher.send_signal(signal.SIGINT)
        assert launcher.wait(30) == 0
        _, alive = psutil.wait_procs(children, timeout=15)
        assert alive == []
    finally:
        if launcher.poll() is None:
            launcher.kill()
