"""The package's promises in DESIGN.md: imports nothing of ours, no database, no hidden clock or env."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import alerts

PACKAGE = Path(alerts.__file__).parent


def test_imports_nothing_of_ours_and_no_database() -> None:
    code = (
        "import sys, alerts, alerts.channels, alerts.delivery, alerts.route_config;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'tracker', 'analysis', 'crawlers', 'sqlalchemy', 'sqlite3', 'psycopg', 'scrapy'});"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent
    )
    assert out.stdout.strip() == ""


def test_no_wall_clock_calls_or_environment_reads() -> None:
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for forbidden in ("datetime.now(", "time.time()", "date.today(", "os.environ", "getenv("):
            assert forbidden not in source, f"{path.name} uses {forbidden}"
