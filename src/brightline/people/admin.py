from django.contrib import admin

from brightline.audit.admin import AuditedAdmin, RecordReadsMixin
from brightline.people.models import (
    CareerLadder,
    Competency,
    Identity,
    Level,
    Organisation,
    Person,
    Principle,
    PrincipleBehaviour,
    PrincipleSet,
    Team,
)


class CompetencyInline(admin.StackedInline):
    model = Competency
    extra = 0


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0


class BehaviourInline(admin.TabularInline):
    model = PrincipleBehaviour
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ("name", "slug")


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ("name", "slug", "workload_class", "parent")
    list_filter = ("workload_class",)
    search_fields = ("name", "slug")


@admin.register(Person)
class PersonAdmin(RecordReadsMixin, AuditedAdmin):
    list_display = ("name", "email", "team", "level", "manager", "access_role", "is_active")
    list_filter = ("access_role", "is_active", "work_modality", "team")
    search_fields = ("name", "email", "employee_id")
    raw_id_fields = ("manager", "user")
    inlines = [IdentityInline]


@admin.register(CareerLadder)
class CareerLadderAdmin(AuditedAdmin):
    list_display = ("name", "track")


@admin.register(Level)
class LevelAdmin(AuditedAdmin):
    list_display = ("code", "title", "ladder", "rank")
    list_filter = ("ladder",)
    inlines = [CompetencyInline]


@admin.register(PrincipleSet)
class PrincipleSetAdmin(AuditedAdmin):
    list_display = ("name",)


@admin.register(Principle)
class PrincipleAdmin(AuditedAdmin):
    list_display = ("name", "principle_set")
    inlines = [BehaviourInline]
