"""The Customer Portal's addresses, under /portal/, and the inbound mail webhook (public, signed)."""

from django.urls import path

from tickets import webhooks
from tickets.views import portal

app_name = "portal"
urlpatterns = [
    path("", portal.ticket_list, name="list"),
    path("sign-in/", portal.sign_in, name="sign_in"),
    path("sign-in/<str:token>/", portal.sign_in_link, name="sign_in_link"),
    path("sign-out/", portal.sign_out, name="sign_out"),
    path("tickets/new/", portal.ticket_create, name="create"),
    path("tickets/<int:pk>/", portal.ticket_detail, name="detail"),
    path("attachments/<int:pk>/", portal.attachment_download, name="attachment"),
]

webhook_urlpatterns = [path("hooks/mail/mailgun/", webhooks.mailgun_inbound, name="mailgun_inbound")]
