from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_staff_groups(sender, apps=None, **kwargs) -> None:
    from django.apps import apps as global_apps

    from contacts_crm.roles import sync_staff_groups

    # migrate passes the migrated state's apps; flush sends the signal without them.
    sync_staff_groups(apps or global_apps)


class ContactsCrmConfig(AppConfig):
    name = "contacts_crm"
    verbose_name = "Contacts CRM"

    def ready(self) -> None:
        # The data migration creates the groups; this keeps them in step after every migrate (a new
        # model's permissions reach the right roles) and after a flush, which empties the tables.
        post_migrate.connect(_sync_staff_groups, sender=self)
