"""The shipped deployment files fit together: the production config loads with the environment templates
(every YUQING_* variable there is a real setting or a named secret), and the units read the env files
and config folder the templates describe."""

from __future__ import annotations

from pathlib import Path

from tests.deploy.conftest import DEPLOY
from tracker.config import load_settings
from tracker.scrapyd import Node


def env_file(name: str) -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def unit_values(unit: str, key: str) -> list[str]:
    lines = (DEPLOY / unit).read_text(encoding="utf-8").splitlines()
    return [line.split("=", 1)[1] for line in lines if line.startswith(f"{key}=")]


def test_production_config_loads_with_the_env_templates() -> None:
    for template in ("yuqing.env.example", "scrapyd.env.example"):
        env = env_file(template)
        settings = load_settings(DEPLOY / "yuqing.production.toml", env=env)
        assert settings.database.url == env["YUQING_DATABASE_URL"]
        assert settings.crawl.runner == "scrapyd" and settings.crawl.scrapyd_nodes
        assert Path(env["YUQING_CONFIG"]).name == "yuqing.toml"
    nodes = load_settings(DEPLOY / "yuqing.production.toml", env=env_file("yuqing.env.example")).crawl
    assert all("CHANGE-ME" not in Node.parse(url).url for url in nodes.scrapyd_nodes)


def test_units_use_the_templates_env_files_and_config_folder() -> None:
    app_env, node_env = env_file("yuqing.env.example"), env_file("scrapyd.env.example")
    for unit in ("yuqing-scheduler.service", "yuqing-web.service"):
        assert unit_values(unit, "EnvironmentFile") == ["/etc/yuqing/yuqing.env"]
        assert unit_values(unit, "WorkingDirectory") == [str(Path(app_env["YUQING_CONFIG"]).parent)]
    assert unit_values("scrapyd.service", "EnvironmentFile") == ["/etc/yuqing/scrapyd.env"]
    assert node_env["SCRAPY_SETTINGS_MODULE"] == "crawlers.settings"
    assert "yuqing = crawlers.settings" in (DEPLOY / "scrapyd.conf").read_text(encoding="utf-8")


def test_wsgi_entry_refuses_a_bad_configuration_in_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.deploy.conftest import clean_env

    config = tmp_path / "yuqing.toml"
    config.write_text('[web]\nhost = "0.0.0.0"\n', encoding="utf-8")  # public host, no session key
    env = clean_env(YUQING_CONFIG=str(config))
    done = subprocess.run(
        [sys.executable, "-c", "import tracker.wsgi"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3
    assert done.stderr.startswith("错误：") and "YUQING_SECRET_KEY" in done.stderr
    assert "Traceback" not in done.stderr
