"""``path("payments/", include("dargah.django.urls"))``: the callback views,
``payments/callback/<gateway>/`` (URL names ``dargah:callback-<gateway>``)."""

from __future__ import annotations

from django.urls import path

import dargah

from . import views

app_name = "dargah"

urlpatterns = [
    path(f"callback/{gateway.value}/", views.callback, {"gateway": gateway.value}, name=f"callback-{gateway.value}")
    for gateway in dargah.Gateway
]
