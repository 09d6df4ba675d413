"""Alert channels, routing, rate limits, digests and message text. Imports nothing of ours and no
database: the tracker owns the outbox table and calls this package to deliver. See docs/alerts.md.
"""

from alerts.channels import (
    SCHEMES,
    Channel,
    ChannelConfigError,
    env_keys,
    make_channel,
    make_channel_from_config,
)
from alerts.delivery import BatchResult, DeliveryReport, deliver
from alerts.digest import Batch, DeliveryPlan, PendingAlert, merge, plan_delivery
from alerts.masking import describe, mask
from alerts.messages import format_alert, humanize_delta
from alerts.ratelimit import RateLimit, RateLimiter, RateState
from alerts.route_config import routes_from_config
from alerts.routing import (
    EVENT_KINDS,
    AlertEvent,
    Route,
    RouteConfigError,
    escalation_targets,
    find_route,
    match_routes,
)

__all__ = [
    "EVENT_KINDS",
    "SCHEMES",
    "AlertEvent",
    "Batch",
    "BatchResult",
    "Channel",
    "ChannelConfigError",
    "DeliveryPlan",
    "DeliveryReport",
    "PendingAlert",
    "RateLimit",
    "RateLimiter",
    "RateState",
    "Route",
    "RouteConfigError",
    "deliver",
    "describe",
    "env_keys",
    "escalation_targets",
    "find_route",
    "format_alert",
    "humanize_delta",
    "make_channel",
    "make_channel_from_config",
    "mask",
    "match_routes",
    "merge",
    "plan_delivery",
    "routes_from_config",
]
