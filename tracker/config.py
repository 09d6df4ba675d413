"""Load ``yuqing.toml`` + ``YUQING_*`` environment variables into one validated ``Settings`` object.

A bad file never produces a traceback: ``ConfigError`` carries one Chinese line naming the file, the line when
known, the key and what was expected.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tracker.errors import ConfigError
from tracker.settings_schema import Settings, SourceSettings
from tracker.source_kinds import SOURCE_KIND_KEYS

ENV_PREFIX = "YUQING_"
#: YUQING_* variables that are not settings overrides.
ENV_NOT_SETTINGS = {"YUQING_CONFIG", "YUQING_TEST_PG_URL", "YUQING_FROZEN_NOW", "YUQING_SECRET_KEY"}
_SCALAR_SECTIONS = ("database", "policy", "web", "crawl", "incidents", "privacy", "retention")


class _Ctx:
    """Where we are in the file, to name it in messages."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def line_of(self, key_path: str) -> int | None:
        leaf = key_path.rsplit(".", 1)[-1].split("[")[0]
        pattern = re.compile(rf"^\s*{re.escape(leaf)}\s*=")
        for number, line in enumerate(self.lines, 1):
            if pattern.match(line):
                return number
        return None

    def error(self, key_path: str, message: str) -> ConfigError:
        line = self.line_of(key_path)
        where = f"{self.path} 第{line}行" if line else self.path
        return ConfigError(f"配置错误（{where}）：{key_path}：{message}")


def default_config_path(explicit: str | None = None) -> Path:
    if explicit:
        return Path(explicit)
    if os.environ.get("YUQING_CONFIG"):
        return Path(os.environ["YUQING_CONFIG"])
    return Path("yuqing.toml")


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read, override from the environment and validate. A missing file means all defaults."""
    env = os.environ if env is None else env
    cfg_path = default_config_path(str(path) if path else None)
    text = ""
    raw: dict[str, Any] = {}
    if cfg_path.exists():
        try:
            text = cfg_path.read_text(encoding="utf-8-sig")  # Notepad writes a byte-order mark
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"配置错误（{cfg_path}）：文件不是 UTF-8 编码（第 {exc.start + 1} 个字节），"
                "请另存为 UTF-8（记事本“另存为”时选择 UTF-8）"
            ) from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"配置错误（{cfg_path}）：TOML 语法错误：{exc}") from None
        except RecursionError:
            raise ConfigError(f"配置错误（{cfg_path}）：TOML 嵌套层数过多，无法读取") from None
    elif path:
        raise ConfigError(f"找不到配置文件 {cfg_path}（可运行 yuqing init 生成）")
    ctx = _Ctx(str(cfg_path), text)
    _apply_env(raw, env, ctx)
    settings = _build(Settings, raw, "", ctx)
    settings.path = str(cfg_path.resolve()) if cfg_path.exists() else ""
    settings.root = str(cfg_path.resolve().parent) if cfg_path.exists() else str(Path.cwd())
    _check(settings, ctx)
    return settings


def _apply_env(raw: dict[str, Any], env: Mapping[str, str], ctx: _Ctx) -> None:
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or name in ENV_NOT_SETTINGS:
            continue
        rest = name[len(ENV_PREFIX) :].lower()
        section, _, key = rest.partition("_")
        if section not in _SCALAR_SECTIONS or not key:
            continue  # e.g. YUQING_WECOM_KEY: a secret named by config, not an override
        cls = typing.get_type_hints(Settings)[section]
        hints = typing.get_type_hints(cls)
        if key not in hints:
            raise ConfigError(f"配置错误（环境变量 {name}）：{section}.{key} 不是有效的配置项")
        raw.setdefault(section, {})[key] = _coerce_env(value, hints[key], f"环境变量 {name}")


def _coerce_env(value: str, hint: Any, where: str) -> Any:
    try:
        if hint is bool:
            if value.lower() in {"1", "true", "yes", "on"}:
                return True
            if value.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError
        if hint is int:
            return int(value)
        if hint is float:
            return float(value)
        if typing.get_origin(hint) is list:
            return [v.strip() for v in value.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(f"配置错误（{where}）：值 {value!r} 的类型不对") from None
    return value


_TYPE_NAMES = {str: "字符串", int: "整数", float: "数字", bool: "true/false"}


def _type_name(hint: Any) -> str:
    if typing.get_origin(hint) is list:
        return "列表"
    if typing.get_origin(hint) is dict:
        return "表 (table)"
    return _TYPE_NAMES.get(hint, "表 (table)")


def _build(cls: type, raw: Any, prefix: str, ctx: _Ctx) -> Any:
    if not isinstance(raw, dict):
        raise ctx.error(prefix or "(根)", "应为表 (table)")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in ("path", "root")}
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in raw.items():
        key_path = f"{prefix}.{key}" if prefix else key
        if key not in fields or key == "options":
            if cls is SourceSettings:
                extra[key] = value
                continue
            raise ctx.error(
                key_path, f"未知的配置项（可用：{'、'.join(k for k in fields if k != 'options')}）"
            )
        values[key] = _value(hints[key], value, key_path, ctx)
    for name, f in fields.items():
        if f.metadata.get("required") and not values.get(name):
            raise ctx.error(f"{prefix}.{name}" if prefix else name, f"缺少必填项（{f.metadata['doc']}）")
    obj = cls(**values)
    if cls is SourceSettings:
        obj.options = _source_options(obj, extra, prefix, ctx)
    return obj


def _value(hint: Any, value: Any, key_path: str, ctx: _Ctx) -> Any:
    origin = typing.get_origin(hint)
    if origin is list:
        (item_hint,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ctx.error(key_path, f"应为列表，实际是 {value!r}")
        return [_value(item_hint, v, f"{key_path}[{i}]", ctx) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ctx.error(key_path, "应为表 (table)")
        return dict(value)
    if dataclasses.is_dataclass(hint):
        return _build(typing.cast(type, hint), value, key_path, ctx)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(hint, type) and not isinstance(hint, types.GenericAlias):
        ok = isinstance(value, hint) and not (hint is int and isinstance(value, bool))
        if not ok:
            raise ctx.error(key_path, f"应为{_type_name(hint)}，实际是 {value!r}")
    return value


def _source_options(src: SourceSettings, extra: dict[str, Any], prefix: str, ctx: _Ctx) -> dict[str, Any]:
    allowed = SOURCE_KIND_KEYS.get(src.kind)
    if allowed is None:
        kinds = "、".join(sorted(SOURCE_KIND_KEYS))
        raise ctx.error(f"{prefix}.kind", f"未知的来源类型 {src.kind!r}（可用：{kinds}）")
    for key in extra:
        if key not in allowed:
            hint = f"（{src.kind} 可用：{'、'.join(sorted(allowed))}）" if allowed else ""
            raise ctx.error(f"{prefix}.{key}", f"来源类型 {src.kind} 没有这个配置项{hint}")
    return extra


def _check(settings: Settings, ctx: _Ctx) -> None:
    """Cross-field checks: URLs, durations, unique names, references between sections."""
    from tracker.validation import check_settings  # kept apart to stay small

    check_settings(settings, ctx.error)
