from django.urls import path

from customers import views

app_name = "customers"
urlpatterns = [
    path("", views.contact_list, name="list"),
    path("add/", views.contact_create, name="create"),
    path("<int:pk>/", views.contact_detail, name="detail"),
]
