"""No tables: this module exists because Django sends post_migrate only to apps with a models module, and this
app's receiver keeps the staff groups in step after every migrate and flush (apps.py)."""
