"""The Jobs page's addresses."""

from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.job_list, name="list"),
    path("indicator/", views.job_indicator, name="indicator"),
    path("<int:pk>/row/", views.job_row, name="row"),
    path("<int:pk>/cancel/", views.job_cancel, name="cancel"),
    path("<int:pk>/download/", views.job_download, name="download"),
]
