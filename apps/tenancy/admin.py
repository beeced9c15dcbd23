"""Two admin sites: the public one for platform operators, the default one inside each tenant.

Tenant and Domain are registered only on the public site, served at ``localhost/admin/``;
``acme.localhost/admin/`` is the default ``admin.site`` with the tenant's own data.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django_tenants.admin import TenantAdminMixin

from apps.tenancy.models import Domain, Tenant


class PublicAdminSite(admin.AdminSite):
    site_header = "APG platform administration"
    site_title = "APG platform"
    index_title = "Tenants and platform operators"


public_admin_site = PublicAdminSite(name="public_admin")

admin.site.site_header = "APG Workflow & BPM administration"
admin.site.site_title = "APG admin"


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class TenantAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ("schema_name", "name", "time_zone", "show_on_landing", "created_at")
    search_fields = ("schema_name", "name")
    inlines = [DomainInline]


class DomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "tenant", "is_primary")
    search_fields = ("domain",)


public_admin_site.register(Tenant, TenantAdmin)
public_admin_site.register(Domain, DomainAdmin)
public_admin_site.register(User, UserAdmin)
public_admin_site.register(Group, GroupAdmin)
