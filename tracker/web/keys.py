"""The session signing key. It comes from the environment variable named by ``web.secret_key_env``.

On a loopback host (development, a single office PC) a missing key is generated once and kept under
``var/`` so sessions survive restarts. On any other host a missing, short or well-known key refuses to
start: a guessable key lets anyone forge a logged-in session.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Mapping

from tracker.app import App
from tracker.errors import ConfigError

KEY_FILE = "var/web_secret.key"
MIN_KEY_LENGTH = 32
#: placeholders people copy from examples; never accepted in production
WEAK_KEYS = frozenset(
    {"", "dev", "secret", "changeme", "change-me", "change_me", "default", "yuqing", "please-change-me"}
)


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_secret_key(app: App, environ: Mapping[str, str]) -> str:
    web = app.settings.web
    key = environ.get(web.secret_key_env, "").strip()
    if is_loopback(web.host):
        return key or _dev_key(app)
    if key.lower() in WEAK_KEYS or len(key) < MIN_KEY_LENGTH:
        raise ConfigError(
            f"网页服务监听 {web.host}（非本机地址）时必须设置会话密钥：请在环境变量 {web.secret_key_env} "
            f"中设置至少 {MIN_KEY_LENGTH} 个字符的随机字符串，例如 python -c "
            '"import secrets; print(secrets.token_urlsafe(48))" 生成的值'
        )
    return key


def _dev_key(app: App) -> str:
    path = app.path(KEY_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="ascii")
        path.chmod(0o600)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigError(f"会话密钥文件 {path} 内容无效：请删除它，启动时会重新生成")
    return key
