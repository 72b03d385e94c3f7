"""The orders app's addresses, under /orders/."""

from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("new/for/<int:contact_pk>/", views.draft_create, name="draft_create"),
    path("<int:pk>/edit/", views.draft_update, name="draft_update"),
    path("<int:pk>/delete/", views.draft_delete, name="draft_delete"),
]
