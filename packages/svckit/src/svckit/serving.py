"""Running an app factory under uvicorn the way both services are run in production.

One access log: svckit's JSON line per request (request id, route, status, duration), on
stdout; uvicorn's own access log is off, as it would say the same thing a second time.
uvloop and httptools are used when installed (they are dependencies of svckit).
"""

from __future__ import annotations

import copy
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from svckit.http.access_log import ACCESS_LOGGER_NAME


def logging_config(level: str = "info") -> dict[str, Any]:
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["json_line"] = {"format": "%(message)s"}
    config["handlers"]["json_access"] = {
        "class": "logging.StreamHandler",
        "formatter": "json_line",
        "stream": "ext://sys.stdout",
    }
    config["loggers"][ACCESS_LOGGER_NAME] = {
        "handlers": ["json_access"],
        "level": level.upper(),
        "propagate": False,
    }
    return config


def serve(factory: str, *, host: str, port: int, workers: int, log_level: str = "info") -> None:
    """Serve the app built by `factory` ("module:function") until interrupted."""
    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level=log_level,
        log_config=logging_config(log_level),
        access_log=False,
    )
