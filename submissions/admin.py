from django.contrib import admin

from submissions.models import Submission


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = [
        "display_code",
        "original_name",
        "student",
        "size",
        "accepted_at",
        "superseded_at",
        "file_deleted_at",
    ]
    list_select_related = ["student"]
    search_fields = ["verification_code", "original_name", "student__nickname", "sha256"]
    readonly_fields = [f.name for f in Submission._meta.fields]

    def has_add_permission(self, request):
        return False
