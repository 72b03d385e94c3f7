from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from contacts_crm.signin import LoginView
from customers.views import website as website_views
from orders import webhooks

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="customers:list", permanent=False), name="home"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("contacts/", include("customers.urls")),
    path("companies/", include("companies.urls")),
    path("orders/", include("orders.urls")),
    path("hooks/shop/orders", webhooks.shop_order, name="shop_order_webhook"),
    # Public: the contact form the shop's website links to (tests/test_access.py lists these names).
    path("contact/", website_views.contact, name="website_contact"),
    path("contact/thanks/", website_views.contact_thanks, name="website_contact_thanks"),
    path("admin/", admin.site.urls),
]
