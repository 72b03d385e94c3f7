from django.apps import AppConfig


class CrmCoreConfig(AppConfig):
    """The layer below every app: actors, activity rows, batching, pagination, bounds, forms, phones."""

    name = "crm_core"
    verbose_name = "CRM core"

    def ready(self) -> None:
        from crm_core.bounds import id_lookups_register

        id_lookups_register()
