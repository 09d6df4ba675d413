"""Canonical URLs: one spelling per page, so dedupe and "already stored?" checks match.

Drops the fragment, default ports and tracking parameters (utm_*, spm, from, share_token …), lower-cases
scheme and host, sorts the remaining query parameters (keeping blank values and repeated keys).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Parameters that say how someone arrived, not which page it is. "from" is WeChat/Weibo/Baidu share
# tracking; sites that use it as a real key are rare enough that a source can switch this off by keeping
# its own canonical link (see docs/sources.md).
TRACKING_PARAMS = frozenset(
    {
        "spm", "from", "share_token", "share_from", "share_source", "sharer", "shareid", "share_medium",
        "isappinstalled", "scene", "clicktime", "enterid", "wfr", "fr", "_t", "ref_src", "gclid", "fbclid",
        "yclid", "msclkid", "mc_cid", "mc_eid", "vd_source", "sudaref", "bd_source", "tt_from", "xhsshare",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "hmsr", "hmpl", "hmcu", "hmkw", "hmci", "share_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_WS = re.compile(r"\s+")


def canonical_url(url: str) -> str:
    """Return the canonical form of ``url``. Not a URL (no scheme/host) → returned stripped, unchanged."""
    url = url.strip()
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:  # "host:abc": keep as printed rather than lose it
        return url
    netloc = host
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{host}"
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    path = _WS.sub("%20", parts.path) or "/"
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if keep_param(key)]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def keep_param(key: str) -> bool:
    """False for a tracking parameter."""
    lowered = key.lower()
    return lowered not in TRACKING_PARAMS and not lowered.startswith(_TRACKING_PREFIXES)
