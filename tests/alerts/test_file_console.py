from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from alerts import ChannelConfigError, make_channel
from tests.alerts.helpers import FakeClock, sample_alert


def test_file_appends_one_fsynced_json_line_per_alert(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    target = tmp_path / "sub" / "alerts.jsonl"
    ch = make_channel(f"file://{target}", clock=clock)
    title, body = sample_alert()
    assert ch.send(title, body, mention_mobiles=["13800000001"]) is True
    clock.advance(60)
    assert ch.send("第二条", "正文") is True
    lines = target.read_text(encoding="utf-8").splitlines()
    assert [json.loads(x) for x in lines] == [
        {"title": title, "body": body, "sent_at": "2026-06-17T00:30:00Z", "mention_mobiles": ["13800000001"]},
        {"title": "第二条", "body": "正文", "sent_at": "2026-06-17T00:31:00Z", "mention_mobiles": []},
    ]
    assert "舆情预警" in lines[0]  # Chinese kept readable, not \\u escaped
    assert len(synced) == 2


def test_relative_file_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert make_channel("file://var/alerts.jsonl").send("t", "b") is True
    assert (tmp_path / "var" / "alerts.jsonl").exists()


def test_unwritable_file_fails_without_raising(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    ch = make_channel(f"file://{blocker}/alerts.jsonl")
    assert ch.send("t", "b") is False
    assert ch.last_error is not None and "写入预警文件" in ch.last_error


def test_console_prints_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    title, body = sample_alert()
    assert make_channel("console://").send(title, body, mention_mobiles=["13800000001"]) is True
    out = capsys.readouterr().out
    assert out.startswith(title + "\n") and "**" not in out and "提醒：13800000001" in out
    assert "查看详情并登记回应：https://yq.example.gov.cn/incidents/1" in out


def test_console_takes_no_arguments() -> None:
    with pytest.raises(ChannelConfigError):
        make_channel("console://somewhere")
