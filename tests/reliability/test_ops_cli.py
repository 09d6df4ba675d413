"""`yuqing backup` and `yuqing restore` through the command line (tracker.cli.main)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import tracker.cli
from tests.reliability.helpers import build_ledger, snapshot
from tests.tracker.helpers import store
from tracker.app import App


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, sqlite_app: App) -> App:
    if "tracker.cli.ops" not in tracker.cli.COMMAND_MODULES:
        monkeypatch.setattr(tracker.cli, "COMMAND_MODULES", (*tracker.cli.COMMAND_MODULES, "tracker.cli.ops"))
    build_ledger(sqlite_app)
    return sqlite_app


def run(app: App, *argv: str) -> int:
    return tracker.cli.main(["--config", app.settings.path, *argv])


def test_backup_then_restore_on_the_command_line(
    cli: App, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out_dir = tmp_path / "elsewhere"
    out_dir.mkdir()
    assert run(cli, "backup", "--out", str(out_dir)) == 0
    printed = capsys.readouterr().out
    archives = list(out_dir.glob("yuqing-*.tar.gz"))
    assert len(archives) == 1 and f"备份完成：{archives[0]}" in printed
    assert "帖子 7" in printed and "附带文件：audit.anchor" in printed
    before = snapshot(cli.engine, skip=("audit_events",))
    store("新闻", "锦绣小区夜间施工噪音扰民", "锦绣小区旁工地晚上十一点后还在打桩，噪音扰民。", None)

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: no prompt, a clear refusal
    assert run(cli, "restore", str(archives[0])) == 2
    assert "请加 --yes" in capsys.readouterr().err
    assert snapshot(cli.engine, skip=("audit_events",)) != before

    assert run(cli, "restore", str(archives[0]), "--yes") == 0
    printed = capsys.readouterr().out
    assert "恢复完成" in printed and "yuqing.db.before-restore" in printed
    assert snapshot(cli.engine, skip=("audit_events",)) == before


def test_restore_of_a_missing_file_is_one_line(cli: App, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(cli, "restore", "/nonexistent/backup.tar.gz", "--yes") == 2
    err = capsys.readouterr().err
    assert err.strip() == "错误：找不到备份文件：/nonexistent/backup.tar.gz"
