"""The merges app's views, one module a page: pairs (possible duplicates), merge (preview, merge, undo)."""
