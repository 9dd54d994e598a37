from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    # Dargah's callback views: /payments/callback/<gateway>/
    path("payments/", include("dargah.django.urls")),
    path("admin/", admin.site.urls),
    path("", include("orders.urls")),
]
