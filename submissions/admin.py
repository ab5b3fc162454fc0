from django.contrib import admin

from students.admin import zoned
from submissions.models import Submission

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
