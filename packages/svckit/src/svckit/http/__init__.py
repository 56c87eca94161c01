"""Pure ASGI middleware shared by the apps, and their Prometheus metrics.

Starlette runs the middleware added last first. Added in this order in `create_app`, a request
passes request id, access log, metrics, security headers, body limit and gzip inflation on its
way in, so every refusal still carries a request id, a log line and a metric:

    app.add_middleware(
        GzipRequestMiddleware, max_inflated_bytes=..., should_inflate=..., reject=...
    )
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=..., reject=...)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(RequestIdMiddleware)
"""

from svckit.http.access_log import (
    ACCESS_LOGGER_NAME,
    AccessLogMiddleware,
    start_background_logging,
)
from svckit.http.body_limit import (
    BODY_TOO_LARGE_MESSAGE,
    INVALID_GZIP_MESSAGE,
    BodySizeLimitMiddleware,
    GzipRequestMiddleware,
    Reject,
)
from svckit.http.metrics import (
    DB_QUERY_BUCKETS,
    LATENCY_BUCKETS,
    Metrics,
    MetricsMiddleware,
    get_metrics,
    metrics_endpoint,
)
from svckit.http.request_id import (
    REQUEST_ID_HEADER,
    RequestIdLogFilter,
    RequestIdMiddleware,
    current_request_id,
)
from svckit.http.route import UNMATCHED_ROUTE, route_template
from svckit.http.security_headers import DEFAULT_SECURITY_HEADERS, SecurityHeadersMiddleware

__all__ = [
    "ACCESS_LOGGER_NAME",
    "BODY_TOO_LARGE_MESSAGE",
    "DB_QUERY_BUCKETS",
    "DEFAULT_SECURITY_HEADERS",
    "INVALID_GZIP_MESSAGE",
    "LATENCY_BUCKETS",
    "REQUEST_ID_HEADER",
    "UNMATCHED_ROUTE",
    "AccessLogMiddleware",
    "BodySizeLimitMiddleware",
    "GzipRequestMiddleware",
    "Metrics",
    "MetricsMiddleware",
    "Reject",
    "RequestIdLogFilter",
    "RequestIdMiddleware",
    "SecurityHeadersMiddleware",
    "current_request_id",
    "get_metrics",
    "metrics_endpoint",
    "route_template",
    "start_background_logging",
]
