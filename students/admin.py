from django.contrib import admin

from students import times
from students.models import Exam, Student


def zoned(name, description):
    """An admin column or read-only field showing a time with its zone named, as every page
    does (the admin would print it bare)."""

    @admin.display(description=description, ordering=name)
    def show(obj):
        return times.format_time(getattr(obj, name), "seconds")

    show.__name__ = f"{name}_zoned"
    return show


class StudentInline(admin.TabularInline):
    model = Student
    fields = ["nickname", "first_name", "last_name", "email", "uploads_used"]
    readonly_fields = ["uploads_used"]
    extra = 0


@admin.register(Exam)
class ExamAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "owner",
        zoned("closes_at", "due"),
        "time_zone",
        "max_uploads",
        zoned("created_at", "created"),
    ]
    list_filter = ["owner"]
    search_fields = ["title"]
    inlines = [StudentInline]


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    list_display = ["nickname", "first_name", "last_name", "email", "exam", "uploads_used"]
    list_select_related = ["exam"]
    search_fields = ["nickname", "first_name", "last_name", "email"]
    readonly_fields = ["upload_code", "uploads_used"]
