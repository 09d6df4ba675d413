"""Small helpers shared by the alerts tests."""

from __future__ import annotations

import socket

from alerts.messages import format_alert

# 2026-06-17 08:30:00 Beijing time, as epoch seconds: signatures are checked against this "now".
T0 = 1781656200.0


class FakeClock:
    """A clock the test moves by hand; callable, like time.time / time.monotonic."""

    def __init__(self, start: float = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def closed_port() -> int:
    """A local port with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sample_alert(n: int = 1) -> tuple[str, str]:
    return format_alert(
        "new_incident",
        "重大",
        f"某区第{n}小学食堂疑似食物中毒",
        "食品药品安全",
        "2026-06-17 08:30",
        "5小时权威发布时限",
        "2026-06-17 13:30",
        4320,
        "区市场监管局",
        f"https://yq.example.gov.cn/incidents/{n}",
    )
