from django.contrib import admin

from crm_core.actors import Actor
from crm_core.admin import ReadOnlyAdmin
from customers import services
from customers.models import Activity, ConsentRecord, Contact, ExportLog, Label, SuggestedUpdate

# The image is left to the app's form, which re-encodes uploads and strips their metadata.
CONTACT_EDITABLE = ("first_name", "last_name", "stage", *Contact.ADDRESS_FIELDS)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("email", "first_name", "last_name", "stage", "source", "details_locked", "created_at")
    list_filter = ("stage", "source", "details_locked")
    search_fields = ("email", "first_name", "last_name")
    show_full_result_count = False
    readonly_fields = ("source", "details_locked", "orders_count", "total_spent", "last_order_at", "deleted_at")
    fields = ("email", *CONTACT_EDITABLE, *readonly_fields)

    def get_queryset(self, request):
        return super().get_queryset(request).live()

    def get_readonly_fields(self, request, obj=None):
        # The email is a contact's identity; the app's own edit form is where it changes.
        return (*self.readonly_fields, "email") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        actor = Actor.staff(request.user)
        if change:
            stored = Contact.objects.get(pk=obj.pk)
            changes = {field: form.cleaned_data[field] for field in form.changed_data if field in CONTACT_EDITABLE}
            services.contact_update(contact=stored, actor=actor, **changes)
        else:
            created = services.contact_create(
                actor=actor, **{field: form.cleaned_data[field] for field in ("email", *CONTACT_EDITABLE)}
            )
            obj.pk = created.pk

    def delete_model(self, request, obj):
        services.contacts_trash(contacts=Contact.objects.filter(pk=obj.pk), actor=Actor.staff(request.user))

    def delete_queryset(self, request, queryset):
        services.contacts_trash(contacts=queryset, actor=Actor.staff(request.user))


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ("name", "colour")
    search_fields = ("name",)

    def save_model(self, request, obj, form, change):
        if change:
            services.label_update(label=obj, name=form.cleaned_data["name"], colour=form.cleaned_data["colour"])
        else:
            obj.pk = services.label_create(name=form.cleaned_data["name"], colour=form.cleaned_data["colour"]).pk

    def delete_model(self, request, obj):
        services.label_delete(label=obj)

    def delete_queryset(self, request, queryset):
        for label in queryset:
            services.label_delete(label=label)


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("contact", "kind", "event", "actor_kind", "actor", "created_at")
    list_filter = ("kind", "actor_kind")
    list_select_related = ("contact", "actor")
    show_full_result_count = False


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    list_display = ("contact", "channel", "state", "opt_in_level", "source", "given_at")
    list_select_related = ("contact",)


@admin.register(SuggestedUpdate)
class SuggestedUpdateAdmin(ReadOnlyAdmin):
    list_display = ("contact", "field", "value", "status", "created_at")
    list_select_related = ("contact",)


@admin.register(ExportLog)
class ExportLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "scope", "columns", "row_count")
