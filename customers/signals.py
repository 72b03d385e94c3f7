"""Signals the contacts app sends to the apps above it, which keep data about a person that it cannot import."""

from django.dispatch import Signal

# Sent inside the erasure's transaction once the contact holds its placeholder email, with `contact`: each app
# that keeps the person's data elsewhere (an order's buyer snapshot) removes it then, or the erasure rolls back.
contact_erased = Signal()
