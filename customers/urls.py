from django.urls import path

from customers import consent_views, export_views, label_views, message_views, trash_views, views

app_name = "customers"
urlpatterns = [
    path("", views.contact_list, name="list"),
    path("add/", views.contact_create, name="create"),
    path("bulk/", views.contact_bulk, name="bulk"),
    path("export/", export_views.contact_export, name="export"),
    path("<int:pk>/", views.contact_detail, name="detail"),
    path("<int:pk>/edit/", views.contact_update, name="update"),
    path("<int:pk>/unlock/", views.contact_unlock, name="unlock"),
    path("<int:pk>/restore/", views.contact_restore, name="restore"),
    path("<int:pk>/notes/", views.note_add, name="note_add"),
    path("<int:pk>/notes/<int:note_pk>/edit/", views.note_update, name="note_update"),
    path("<int:pk>/notes/<int:note_pk>/delete/", views.note_delete, name="note_delete"),
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
    path("<int:pk>/consent/", consent_views.consent_change, name="consent_change"),
    path("<int:pk>/consent/unsubscribe/", consent_views.consent_unsubscribe, name="consent_unsubscribe"),
    path("<int:pk>/consent/history/", consent_views.consent_history_page, name="consent_history"),
    path("<int:pk>/message/", message_views.message_compose, name="message"),
    path("<int:pk>/labels/add/", label_views.contact_label_add, name="contact_label_add"),
    path("<int:pk>/labels/<int:label_pk>/remove/", label_views.contact_label_remove, name="contact_label_remove"),
    path("labels/", label_views.label_list, name="label_list"),
    path("labels/add/", label_views.label_create, name="label_create"),
    path("labels/<int:pk>/edit/", label_views.label_update, name="label_update"),
    path("labels/<int:pk>/delete/", label_views.label_delete, name="label_delete"),
    # Delete (to the Trash), the Trash, Delete permanently and Erase: customers/trash_views.py.
    path("bulk/delete/", trash_views.contacts_delete, name="bulk_delete"),
    path("<int:pk>/delete/", trash_views.contact_delete, name="delete"),
    path("<int:pk>/erase/", trash_views.contact_erase, name="erase"),
    path("trash/", trash_views.trash_list, name="trash"),
    path("trash/undo/", trash_views.trash_undo, name="trash_undo"),
    path("trash/<int:pk>/delete/", trash_views.trash_purge, name="trash_purge"),
]
