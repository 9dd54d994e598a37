from django.urls import path

from . import views

urlpatterns = [
    path("", views.checkout, name="checkout"),
    path("pay/callback/<str:gateway>/", views.callback, name="callback"),
    path("orders/<uuid:reference>/", views.order_page, name="order"),
]
