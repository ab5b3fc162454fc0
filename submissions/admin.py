from django.contrib import admin

from students.admin import zoned
from submissions.models import Event, Submission

TIMES = {"accepted_at": "accepted", "superseded_at": "superseded", "file_deleted_at": "deleted"}


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = [
        "display_code",
        "original_name",
        "student",
        "size",
        *(zoned(name, label) for name, label in TIMES.items()),
    ]
    list_select_related = ["student"]
    search_fields = ["verification_code", "original_name", "student__nickname", "sha256"]
    readonly_fields = [
        zoned(f.name, f.verbose_name) if f.name in TIMES else f.name
        for f in Submission._meta.fields
    ]

    def has_add_permission(self, request):
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The audit trail, to read: it is append-only, so nothing here adds, changes or deletes."""

    list_display = [zoned("created_at", "when"), "kind", "student", "detail", "by"]
    list_filter = ["kind"]
    list_select_related = ["student", "by"]
    search_fields = ["student__nickname", "student__last_name", "detail"]
    readonly_fields = [
        zoned(f.name, f.verbose_name) if f.name == "created_at" else f.name
        for f in Event._meta.fields
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
