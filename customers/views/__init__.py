"""The contacts app's pages, one module per feature; customers/urls.py maps them."""
