"""The site's addresses: each app's pages under its own prefix, the public ones at the root, and the admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from contacts_crm.signin import LoginView
from tickets.portal_urls import webhook_urlpatterns

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="customers:list", permanent=False), name="home"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("contacts/import/", include("imports.urls")),
    path("contacts/", include("merges.urls")),
    path("contacts/", include("customers.urls")),
    path("companies/", include("companies.urls")),
    path("orders/", include("orders.urls")),
    path("jobs/", include("jobs.urls")),
    path("tickets/", include("tickets.urls")),
    # Public: the Customer Portal, for contacts signed in by an emailed link, never for staff sessions.
    path("portal/", include("tickets.portal_urls")),
    path("", include("orders.webhook_urls")),
    path("", include((webhook_urlpatterns, "mail"))),
    # Public: the contact form the shop's website links to (tests/test_access.py lists these names).
    path("", include("customers.website_urls")),
    path("admin/", admin.site.urls),
]
