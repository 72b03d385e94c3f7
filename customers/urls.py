"""The contacts app's addresses, under /contacts/: the list, a contact and its parts, labels, export, the Trash."""

from django.urls import path

from customers.views import aliases, consent, contact_list, contacts, export, labels, messaging, notes, trash

app_name = "customers"
urlpatterns = [
    path("", contact_list.contact_list, name="list"),
    path("add/", contacts.contact_create, name="create"),
    path("bulk/", contact_list.contact_bulk, name="bulk"),
    path("export/", export.contact_export, name="export"),
    path("<int:pk>/", contacts.contact_detail, name="detail"),
    path("<int:pk>/edit/", contacts.contact_update, name="update"),
    path("<int:pk>/unlock/", contacts.contact_unlock, name="unlock"),
    path("<int:pk>/restore/", contacts.contact_restore, name="restore"),
    path("<int:pk>/notes/", notes.note_add, name="note_add"),
    path("<int:pk>/notes/<int:note_pk>/edit/", notes.note_update, name="note_update"),
    path("<int:pk>/notes/<int:note_pk>/delete/", notes.note_delete, name="note_delete"),
    path(
        "<int:pk>/suggestions/<int:suggestion_pk>/accept/",
        contacts.suggestion_resolve,
        {"accept": True},
        name="suggestion_accept",
    ),
    path(
        "<int:pk>/suggestions/<int:suggestion_pk>/dismiss/",
        contacts.suggestion_resolve,
        {"accept": False},
        name="suggestion_dismiss",
    ),
    path("<int:pk>/image/", contacts.contact_image, {"size": "full"}, name="image"),
    path("<int:pk>/thumbnail/", contacts.contact_image, {"size": "thumbnail"}, name="thumbnail"),
    path("<int:pk>/consent/", consent.consent_change, name="consent_change"),
    path("<int:pk>/consent/unsubscribe/", consent.consent_unsubscribe, name="consent_unsubscribe"),
    path("<int:pk>/consent/history/", consent.consent_history_page, name="consent_history"),
    path("<int:pk>/message/", messaging.message_compose, name="message"),
    path("<int:pk>/aliases/<int:alias_pk>/remove/", aliases.alias_remove, name="alias_remove"),
    path("<int:pk>/aliases/<int:alias_pk>/primary/", aliases.alias_make_primary, name="alias_make_primary"),
    path("<int:pk>/labels/add/", labels.contact_label_add, name="contact_label_add"),
    path("<int:pk>/labels/<int:label_pk>/remove/", labels.contact_label_remove, name="contact_label_remove"),
    path("labels/", labels.label_list, name="label_list"),
    path("labels/add/", labels.label_create, name="label_create"),
    path("labels/<int:pk>/edit/", labels.label_update, name="label_update"),
    path("labels/<int:pk>/delete/", labels.label_delete, name="label_delete"),
    # Delete (to the Trash), the Trash, Delete permanently and Erase: customers/trash.py.
    path("bulk/delete/", trash.contacts_delete, name="bulk_delete"),
    path("<int:pk>/delete/", trash.contact_delete, name="delete"),
    path("<int:pk>/erase/", trash.contact_erase, name="erase"),
    path("trash/", trash.trash_list, name="trash"),
    path("trash/undo/", trash.trash_undo, name="trash_undo"),
    path("trash/<int:pk>/delete/", trash.trash_purge, name="trash_purge"),
]
