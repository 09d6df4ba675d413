"""`yuqing run` refuses clearly when it cannot start: a busy web port, or another scheduler on the database."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from tests.e2e.test_replay_e2e import free_port, make_config


def test_busy_web_port_is_one_chinese_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = make_config(tmp_path, free_port(), port)
        proc = subprocess.run(
            [sys.executable, "-m", "tracker.cli", "--config", str(config), "run"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=tmp_path,
        )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"网页界面无法监听 127.0.0.1:{port}" in proc.stderr and "web.port" in proc.stderr
