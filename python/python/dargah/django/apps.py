from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DargahConfig(AppConfig):
    name = "dargah.django"
    #: Templates and permissions are "dargah"; URL names are "dargah:callback-<gateway>".
    label = "dargah"
    verbose_name = _("Payments (Dargah)")
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from . import checks, client  # noqa: F401  (registers the checks and the settings listener)
