from django.urls import path

from customers import label_views, views

app_name = "customers"
urlpatterns = [
    path("", views.contact_list, name="list"),
    path("add/", views.contact_create, name="create"),
    path("bulk/", views.contact_bulk, name="bulk"),
    path("<int:pk>/", views.contact_detail, name="detail"),
    path("<int:pk>/edit/", views.contact_update, name="update"),
    path("<int:pk>/unlock/", views.contact_unlock, name="unlock"),
    path("<int:pk>/restore/", views.contact_restore, name="restore"),
    path(
        "<int:pk>/suggestions/<int:suggestion_pk>/accept/",
        views.suggestion_resolve,
        {"accept": True},
        name="suggestion_accept",
    ),
    path(
        "<int:pk>/suggestions/<int:suggestion_pk>/dismiss/",
        views.suggestion_resolve,
        {"accept": False},
        name="suggestion_dismiss",
    ),
    path("<int:pk>/image/", views.contact_image, {"size": "full"}, name="image"),
    path("<int:pk>/thumbnail/", views.contact_image, {"size": "thumbnail"}, name="thumbnail"),
    path("<int:pk>/labels/add/", label_views.contact_label_add, name="contact_label_add"),
    path("<int:pk>/labels/<int:label_pk>/remove/", label_views.contact_label_remove, name="contact_label_remove"),
    path("labels/", label_views.label_list, name="label_list"),
    path("labels/add/", label_views.label_create, name="label_create"),
    path("labels/<int:pk>/edit/", label_views.label_update, name="label_update"),
    path("labels/<int:pk>/delete/", label_views.label_delete, name="label_delete"),
]
