"""The import's addresses, under /contacts/import/."""

from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_start, name="start"),
    path("log/", views.import_list, name="list"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/columns/", views.import_columns, name="columns"),
    path("<int:pk>/progress/", views.import_progress, name="progress"),
    path("<int:pk>/import/", views.import_apply, name="apply"),
    path("<int:pk>/not-imported.csv", views.import_not_imported, name="not_imported"),
]
