"""The companies app's addresses, under /companies/."""

from django.urls import path

from companies import views

app_name = "companies"
urlpatterns = [
    path("", views.company_list, name="list"),
    path("add/", views.company_create, name="create"),
    path("suggestions/", views.company_suggestions, name="suggestions"),
    path("<int:pk>/", views.company_detail, name="detail"),
    path("<int:pk>/edit/", views.company_update, name="update"),
    path("<int:pk>/delete/", views.company_delete, name="delete"),
    path("<int:pk>/members/add/", views.member_add, name="member_add"),
    path("<int:pk>/members/options/", views.member_options, name="member_options"),
    path("<int:pk>/members/<int:membership_pk>/", views.member_update, name="member_update"),
    path("<int:pk>/members/<int:membership_pk>/remove/", views.member_remove, name="member_remove"),
]
