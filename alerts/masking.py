"""Keep secrets out of every string a person or a log file can see.

A webhook key *is* the credential (anyone holding a WeCom robot key can post to the group), and
exceptions from ``requests`` quote the full URL including ``access_token=…``. So every error message a
channel produces goes through :func:`mask`, and config URLs are only ever shown via :func:`describe`.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

MASK = "***"

# Query parameters whose value is a credential whatever the scheme.
SECRET_PARAMS = frozenset({"secret", "key", "token", "access_token", "password", "sign", "signature"})

# Schemes whose host part (``wecom://KEY``) is itself the credential.
TOKEN_IN_HOST = frozenset({"wecom", "dingtalk", "feishu"})


def _variants(secret: str) -> set[str]:
    """The forms a secret takes inside URLs and JSON: raw, percent-encoded, form-encoded."""
    return {secret, quote(secret, safe=""), quote_plus(secret, safe="")}


def mask(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each non-empty secret (and its URL-encoded forms) with ``***``.

    Longest first, so a secret that contains another one is not left half-visible.
    """
    forms: set[str] = set()
    for secret in secrets:
        if secret:
            forms |= _variants(secret)
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


def _mask_netloc(scheme: str, netloc: str) -> str:
    if scheme in TOKEN_IN_HOST:
        return MASK if netloc else ""
    if "@" not in netloc:
        return netloc
    userinfo, host = netloc.rsplit("@", 1)
    if ":" in userinfo:  # user:password@host: keep the user, hide the password
        user = userinfo.split(":", 1)[0]
        return f"{user}:{MASK}@{host}"
    return netloc


def describe(url: str, secrets: Iterable[str | None] = ()) -> str:
    """The channel URL as it may be shown in logs, the CLI and the web UI: credentials masked.

    ``wecom://0a1b…`` → ``wecom://***``; ``dingtalk://T?secret=S`` → ``dingtalk://***?secret=***``;
    ``smtp://u:pw@host`` → ``smtp://u:***@host``. Values passed in ``secrets`` are masked too.
    """
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        netloc = _mask_netloc(scheme, parts.netloc)
        query = parse_qsl(parts.query, keep_blank_values=True)
        query = [(k, MASK if k.lower() in SECRET_PARAMS and v else v) for k, v in query]
        # Built by hand: urlunsplit drops the "//" of an empty host ("wecom://" would show "wecom:").
        shown = f"{parts.scheme}://{netloc}{parts.path}"
        if query:
            shown += "?" + "&".join(f"{k}={v}" for k, v in query)  # decoded: for reading, not parsing
    except ValueError:
        # An unparsable URL may still hold a key; show nothing of it but the scheme.
        head = url.split("://", 1)[0] if "://" in url else "?"
        return f"{head}://{MASK}"
    return mask(shown, secrets)
