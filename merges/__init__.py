"""Merging duplicate contacts: the finder of possible duplicates, the preview, the merge itself and its undo."""
