"""The core's audit trail on the standard :mod:`logging` module.

Logger ``dargah``, and a child per gateway (``dargah.vandar``, ``dargah.mupra``,
``dargah.canpay``, ``dargah.atipay``, ``dargah.sepal``). Each record's message
is one line (``gateway_call gateway=vandar operation="POST /api/v4/verify" …``)
and the event's fields are attributes of the record (``extra``): ``event``,
``gateway``, ``operation``, ``payment_id``, ``http_status``, ``duration_ms``,
``outcome``, ``from``, ``to``, ``fence`` … Nothing secret is in them.

Records are emitted on the thread that made the call, when it returns. The
level of ``dargah`` decides what the core collects; with no handler
configured nothing is printed (the package adds a ``NullHandler``).
"""

import logging
from typing import Any, Dict, List, Tuple

logger = logging.getLogger("dargah")
logger.addHandler(logging.NullHandler())

_LEVELS = {"error": logging.ERROR, "warn": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG, "trace": logging.DEBUG}


def _capture_level() -> str:
    """The most verbose level the ``dargah`` logger takes, or "" for none."""
    for name in ("debug", "info", "warn", "error"):
        if logger.isEnabledFor(_LEVELS[name]):
            return name
    return ""


def _emit(events: List[Tuple[str, str, str, Dict[str, Any]]]) -> None:
    for level, target, message, fields in events:
        logging.getLogger(target.replace("::", ".")).log(_LEVELS.get(level, logging.INFO), "%s", message, extra=fields)
