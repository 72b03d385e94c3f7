from django.contrib import admin

from companies import services
from companies.models import Company, Membership
from crm_core.actors import Actor


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "domain", "default_portal_access")
    search_fields = ("name", "domain")
    fields = ("name", "domain", "default_portal_access")

    def save_model(self, request, obj, form, change):
        actor = Actor.staff(request.user)
        data = {field: form.cleaned_data[field] for field in self.fields}
        if change:
            services.company_update(company=obj, actor=actor, **data)
        else:
            obj.pk = services.company_create(actor=actor, **data).pk

    def delete_model(self, request, obj):
        services.company_delete(company=obj, actor=Actor.staff(request.user))

    def delete_queryset(self, request, queryset):
        for company in queryset:
            services.company_delete(company=company, actor=Actor.staff(request.user))


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("contact", "company", "portal_access")
    list_select_related = ("contact", "company")
    autocomplete_fields = ("company",)
    raw_id_fields = ("contact",)

    def get_readonly_fields(self, request, obj=None):
        # A link is added or removed whole; only its permission changes in place.
        return ("contact", "company") if obj else ()

    def save_model(self, request, obj, form, change):
        actor = Actor.staff(request.user)
        if change:
            stored = Membership.objects.select_related("contact", "company").get(pk=obj.pk)
            services.membership_set_access(
                membership=stored, portal_access=form.cleaned_data["portal_access"], actor=actor
            )
        else:
            obj.pk = services.membership_add(
                contact=form.cleaned_data["contact"],
                company=form.cleaned_data["company"],
                portal_access=form.cleaned_data["portal_access"],
                actor=actor,
            ).pk

    def delete_model(self, request, obj):
        services.membership_remove(membership=obj, actor=Actor.staff(request.user))

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("contact", "company"):
            services.membership_remove(membership=membership, actor=Actor.staff(request.user))
