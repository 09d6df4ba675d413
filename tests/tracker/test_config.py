"""Configuration: defaults, validation with one-line Chinese errors naming the key, env overrides."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tracker.config import load_settings
from tracker.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "yuqing.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_means_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings(env={})
    assert s.database.url == "sqlite:///var/yuqing.db"
    assert s.web.port == 8000
    assert s.policy.warn_fractions == [0.6, 0.9]


def test_example_config_is_valid() -> None:
    s = load_settings(ROOT / "yuqing.example.toml", env={})
    assert {src.kind for src in s.sources} == {"replay"}
    assert any(t.name == "校园食品安全" for t in s.topics)
    assert s.alerts.routes and s.alerts.routes[0].channels


@pytest.mark.parametrize(
    ("text", "needle", "line"),
    [
        ("[database]\nprot = 1\n", "database.prot：未知的配置项", 2),
        ('[web]\nport = "abc"\n', "web.port：应为整数", 2),
        ('[[sources]]\nname = "a"\nkind = "feed"\nurl = "ftp://x"\n', "sources[0].url：不是有效的网址", 4),
        ('[[sources]]\nname = "a"\nkind = "nope"\n', "sources[0].kind：未知的来源类型", 3),
        (
            '[[sources]]\nname = "a"\nkind = "listing"\nurl = "http://x/"\nitem_link = "a"\n',
            "sources[0].item_link：来源类型 listing 没有这个配置项",
            5,
        ),
        ('[[topics]]\nname = "t"\nquery = "(食堂 AND"\n', "topics[0].query：检索式有误", 3),
        ("[policy]\nwarn_fractions = [1.5]\n", "policy.warn_fractions[0]", 2),
        (
            '[[policy.rules]]\nname = "r"\n[[policy.rules.milestones]]\nkind = "回应"\nwithin = "5 weeks"\n',
            "policy.rules[0].milestones[0].within",
            5,
        ),
        ('[database]\nurl = "mysql://x"\n', "database.url", 2),
        ('[[alerts.routes]]\nname = "r"\nchannels = ["未定义"]\n', "未定义的渠道", 3),
        ("[web\nport = 1\n", "TOML 语法错误", None),
    ],
)
def test_bad_config_names_key_and_line(tmp_path: Path, text: str, needle: str, line: int | None) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    message = str(info.value)
    assert needle in message
    assert str(path) in message
    if line is not None:
        assert f"第{line}行" in message
    assert "\n" not in message


def test_env_overrides_and_bad_override(tmp_path: Path) -> None:
    path = write(tmp_path, "[web]\nport = 8000\n")
    s = load_settings(
        path,
        env={
            "YUQING_WEB_PORT": "9000",
            "YUQING_CRAWL_SCRAPYD_NODES": "http://a:6800,http://b:6800",
            "YUQING_CRAWL_RUNNER": "scrapyd",
            "YUQING_WECOM_KEY": "secret-not-a-setting",
        },
    )
    assert s.web.port == 9000
    assert s.crawl.scrapyd_nodes == ["http://a:6800", "http://b:6800"]
    with pytest.raises(ConfigError, match=r"web\.prot 不是有效的配置项"):
        load_settings(path, env={"YUQING_WEB_PROT": "1"})
    with pytest.raises(ConfigError, match="类型不对"):
        load_settings(path, env={"YUQING_WEB_PORT": "abc"})


def test_relative_sqlite_path_is_beside_the_config(tmp_path: Path) -> None:
    from tracker.app import App

    path = write(tmp_path, "")
    app = App(load_settings(path, env={}))
    assert Path(app.engine.url.database or "") == tmp_path / "var" / "yuqing.db"


@pytest.mark.parametrize(
    "text", ['[web]\nport = "abc"\n', '[database]\nurl = "ftp://x"\n', "[nope]\nx = 1\n"]
)
def test_cli_exits_nonzero_with_one_chinese_line(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    proc = subprocess.run(
        [sys.executable, "-m", "tracker.cli", "--config", str(path), "status"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误：配置错误")
