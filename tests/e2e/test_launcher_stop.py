"""Ctrl-C on ``make run`` stops every process the launcher started."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from apg_wbpm.embedded import free_port
from apg_wbpm.launcher import die_with_parent
from tests.conftest import Platform
from tests.live import ROOT, LivePlatform, process_env, wait_for_banner

pytestmark = pytest.mark.live


def test_sigint_stops_web_worker_and_scheduler(platform: Platform, tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path / "launcher.log"
    with log_path.open("w") as log:
        launcher = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "apg_wbpm.launcher",
                "--port",
                str(port),
                "--var-dir",
                str(tmp_path),
                "--skip-setup",
            ],
            cwd=ROOT,
            env=process_env(APG_VAR_DIR=str(tmp_path)),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    live = LivePlatform(port=port, process=launcher, log_path=log_path)  # type: ignore[arg-type]
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
