"""The public pages the shop's website links to, at the site's root and without a namespace (no login needed)."""

from django.urls import path

from customers.views import website

urlpatterns = [
    path("contact/", website.contact, name="website_contact"),
    path("contact/thanks/", website.contact_thanks, name="website_contact_thanks"),
]
