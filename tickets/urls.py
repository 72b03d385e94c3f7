"""Staff's helpdesk addresses, under /tickets/."""

from django.urls import path

from tickets.views import staff

app_name = "tickets"
urlpatterns = [
    path("", staff.ticket_list, name="list"),
    path("new/", staff.ticket_create, name="create"),
    path("<int:pk>/", staff.ticket_detail, name="detail"),
    path("<int:pk>/answer/", staff.ticket_answer, name="answer"),
    path("<int:pk>/status/", staff.ticket_status, name="status"),
    path("<int:pk>/company/", staff.ticket_company, name="company"),
    path("attachments/<int:pk>/", staff.attachment_download, name="attachment"),
    path("unprocessed/", staff.unprocessed_list, name="unprocessed"),
    path("unprocessed/<int:pk>/", staff.unprocessed_download, name="unprocessed_download"),
]
