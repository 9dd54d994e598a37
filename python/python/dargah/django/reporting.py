"""Keeping Dargah's secrets out of Django's error reports.

``settings.DARGAH`` holds the store URL (with its database password), the
merchant codes (CanPay's ``merchant`` is the whole credential), the API keys
and the token encryption key. Django's own filter hides a setting only by a
secret-looking key name, so ``DARGAH["store"]`` and ``["canpay"]["merchant"]``
are shown as they are, and a ``DARGAH`` given as JSON or TOML text is shown
whole; and under ``DEBUG = True`` it hides no local variable at all.

    DEFAULT_EXCEPTION_REPORTER_FILTER = "dargah.django.reporting.DargahExceptionReporterFilter"

With it, debug pages and the error e-mails to ``ADMINS`` show ``DARGAH`` as
stars, mask secret-looking keys and passwords in URLs in every setting and
local variable, and honour ``sensitive_variables`` / ``sensitive_post_parameters``
even under ``DEBUG = True``.
"""

from __future__ import annotations

import re
from typing import Any, Dict, ItemsView, Mapping, Optional

from django.conf import settings
from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter

#: Django's names, and the merchant codes and stores Dargah's configuration holds.
HIDDEN_NAMES = re.compile(r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|MERCHANT|CREDENTIAL|PRIVATE|DSN", re.I)

#: The password of a URL (``postgres://shop:PASSWORD@db/shop``), and secret
#: query parameters (``?password=...``, ``&sslkey=...``).
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<secret>[^@\s/]+)(?=@)", re.I)
_QUERY_SECRET = re.compile(r"(?P<head>[?&;](?:[a-z_]*(?:pass|pwd|secret|key|token)[a-z_]*)=)(?P<secret>[^&;\s]+)", re.I)


def mask_url_secrets(text: str, substitute: str) -> str:
    """``text`` with every URL password and secret query parameter replaced."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + substitute, text)
    return _QUERY_SECRET.sub(lambda m: m.group("head") + substitute, text)


class DargahExceptionReporterFilter(SafeExceptionReporterFilter):
    """A ``SafeExceptionReporterFilter`` that never shows Dargah's
    configuration: see the module's docstring."""

    hidden_settings = HIDDEN_NAMES

    def is_active(self, request: Optional[HttpRequest]) -> bool:
        # Django cleanses only with DEBUG off; a debug page left on in
        # production (or shown on a shared screen) must not show a credential either.
        return True

    def _is_configuration(self, value: Any) -> bool:
        configured = getattr(settings, "DARGAH", None)
        if configured is None or isinstance(value, (int, float, bool)) or value is None:
            return False
        try:
            return value is configured or bool(value == configured)
        except Exception:  # an object whose == raises: not the configuration
            return False

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        if key == "DARGAH" or self._is_configuration(value):
            return self.cleansed_substitute  # the whole value: a dict, or JSON/TOML text
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str):
            return mask_url_secrets(cleansed, self.cleansed_substitute)
        return cleansed

    def get_traceback_frame_variables(self, request: Optional[HttpRequest], tb_frame: Any) -> ItemsView[str, Any]:
        cleansed: Dict[str, Any] = {}
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            if value is not self.cleansed_substitute:
                if self._is_configuration(value) or (isinstance(name, str) and self.hidden_settings.search(name)):
                    value = self.cleansed_substitute
                elif isinstance(value, (Mapping, str, list, tuple)):
                    # A configuration assembled in a local (a dict, or its text) is cleansed as a setting would be.
                    value = self.cleanse_setting(name, dict(value) if isinstance(value, Mapping) else value)
            cleansed[name] = value
        return cleansed.items()
