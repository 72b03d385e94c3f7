"""The merges app's pages, under /contacts/: possible duplicates, dismissing a pair, the merge preview, undo."""

from django.urls import path

from merges.views import merge, pairs

app_name = "merges"

urlpatterns = [
    path("duplicates/", pairs.pair_list, name="pairs"),
    path("duplicates/find/", pairs.pairs_find, name="find"),
    path("duplicates/dismiss/", pairs.pair_dismiss, name="dismiss"),
    path("merge/", merge.merge_preview, name="preview"),
    path("merges/<int:pk>/undo/", merge.merge_undo, name="undo"),
]
