"""Every setting in the typed settings object is documented in docs/configuration.md."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

from tracker.settings_schema import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def setting_paths(cls: type, prefix: str = "") -> list[str]:
    out: list[str] = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in ("path", "root", "options"):  # not settings: provenance, and per-kind keys (sources.md)
            continue
        hint = hints[f.name]
        inner = typing.get_args(hint)[0] if typing.get_origin(hint) is list else None
        if dataclasses.is_dataclass(hint):
            out += setting_paths(typing.cast(type, hint), f"{prefix}{f.name}.")
        elif inner is not None and dataclasses.is_dataclass(inner):
            out.append(f"{prefix}{f.name}")
            out += setting_paths(typing.cast(type, inner), f"{prefix}{f.name}[].")
        else:
            out.append(f"{prefix}{f.name}")
    return out


def test_every_setting_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [p for p in setting_paths(Settings) if f"`{p}`" not in text]
    assert not missing, f"docs/configuration.md 缺少这些配置项的说明：{missing}"


def test_the_walk_finds_nested_settings() -> None:
    paths = setting_paths(Settings)
    assert "policy.rules[].milestones[].within" in paths
    assert "alerts.routes[].escalate_to" in paths
    assert len(paths) > 60
