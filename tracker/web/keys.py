"""The session signing key. It comes from the environment variable named by ``web.secret_key_env``.

Development (the server listens on a loopback address and ``base_url`` points at one too: a single office
PC): a missing key is generated once and kept under ``var/`` so sessions survive restarts. Production (any
other host, or a public ``base_url`` such as a site behind nginx): a missing key refuses to start. In both,
a key that is set but short or a copied placeholder ("CHANGE-ME…") refuses to start: a guessable key lets
anyone forge a logged-in session.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit

from tracker.app import App
from tracker.errors import ConfigError

KEY_FILE = "var/web_secret.key"
MIN_KEY_LENGTH = 32
#: placeholders people copy from examples; never accepted in production
WEAK_KEYS = frozenset(
    {"", "dev", "secret", "changeme", "change-me", "change_me", "default", "yuqing", "please-change-me"}
)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


PLACEHOLDER_WORDS = ("change", "example", "placeholder", "your", "xxxx")
HOW_TO = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


def is_weak(key: str) -> bool:
    low = key.lower()
    return (
        len(key) < MIN_KEY_LENGTH
        or low in WEAK_KEYS
        or any(word in low for word in PLACEHOLDER_WORDS)
        or len(set(key)) < 10
    )


def is_development(app: App) -> bool:
    """Listening on loopback with a loopback base_url: one PC. A loopback listener behind nginx with a
    public base_url is production."""
    web = app.settings.web
    return is_loopback(web.host) and is_loopback(urlsplit(web.base_url).hostname or "")


def load_secret_key(app: App, environ: Mapping[str, str]) -> str:
    web = app.settings.web
    key = environ.get(web.secret_key_env, "").strip()
    if key and is_weak(key):
        raise ConfigError(
            f"环境变量 {web.secret_key_env} 中的会话密钥过短或是示例占位值：请改为至少 {MIN_KEY_LENGTH} 个字符的"
            f"随机字符串（可用 {HOW_TO} 生成）"
        )
    if key:
        return key
    if is_development(app):
        return _dev_key(app)
    raise ConfigError(
        f"网页服务用于生产环境（监听 {web.host}，网址 {web.base_url}）时必须设置会话密钥：请在环境变量 "
        f"{web.secret_key_env} 中设置至少 {MIN_KEY_LENGTH} 个字符的随机字符串（可用 {HOW_TO} 生成）"
    )


def _dev_key(app: App) -> str:
    path = app.path(KEY_FILE)
    if not path.exists():
        # Write aside and link into place: two processes starting at once must not read a half-written key;
        # the first to link wins and the other reads that one.
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(secrets.token_urlsafe(48), encoding="ascii")
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigError(f"会话密钥文件 {path} 内容无效：请删除它，启动时会重新生成")
    return key
