"""Base class for spiders driven by one `[[sources]]` entry of the configuration.

The daemon starts ``python -m scrapy crawl <kind> -a source=<name>``; the spider asks the tracker's one narrow
entry point (``tracker.ingest``) for that source's configuration. Tests pass ``source_cfg=`` directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import scrapy
from scrapy.crawler import Crawler


class SourceSpider(scrapy.Spider):
    """A spider bound to one configured source. ``self.cfg`` holds the source's keys (name, kind, url,
    urls, kind-specific keys, region, cookie_env…)."""

    name = ""  # abstract: not a crawlable spider
    cfg: Mapping[str, Any]
    source_name: str

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        cfg = kwargs.pop("source_cfg", None)
        if cfg is None:
            source_name = kwargs.get("source")
            if not source_name:
                raise ValueError("缺少参数 -a source=<来源名称>")
            from tracker.ingest import source_config  # the crawlers' one entry point into the tracker

            cfg = source_config(str(source_name))
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.cfg = dict(cfg)
        spider.source_name = str(cfg["name"])
        return spider

    def option(self, key: str, default: Any = None) -> Any:
        """A kind-specific key of this source's config."""
        return self.cfg.get(key, default)
