from django.urls import path

from . import views

urlpatterns = [
    path("", views.checkout, name="checkout"),
    path("orders/<str:invoice_id>/", views.order_page, name="order"),
    path("payment-problem/", views.payment_problem, name="payment-problem"),
]
