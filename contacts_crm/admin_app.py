"""The Django admin's app config: it makes admin.site the superusers-only contacts_crm.admin_site.CrmAdminSite."""

from django.contrib.admin.apps import AdminConfig


class CrmAdminConfig(AdminConfig):
    # A dotted path: the site's module imports forms (and so models), which must wait until the apps are ready.
    default_site = "contacts_crm.admin_site.CrmAdminSite"
