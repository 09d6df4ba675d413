"""HTTP cache policy for monitoring: every crawl revalidates (If-None-Match / If-Modified-Since).

Scrapy's RFC2616Policy treats a response without Cache-Control as fresh for 10% of its age since
Last-Modified (a heuristic browsers use), so a feed last modified a day ago would not be asked for again for
about two hours: new posts would be missed. A monitor wants the opposite: ask every time, and let the site
answer 304 when nothing changed, which costs it almost nothing.
"""

from __future__ import annotations

from typing import Any

from scrapy.extensions.httpcache import RFC2616Policy


class RevalidatePolicy(RFC2616Policy):
    def is_cached_response_fresh(self, cachedresponse: Any, request: Any) -> bool:
        # Never fresh: add If-None-Match / If-Modified-Since from the cached copy and ask the site.
        self._set_conditional_validators(request, cachedresponse)
        return False
