from django.contrib import admin

from students.models import Exam, Student


class StudentInline(admin.TabularInline):
    model = Student
    fields = ["nickname", "first_name", "last_name", "email", "uploads_used"]
    readonly_fields = ["uploads_used"]
    extra = 0


@admin.register(Exam)
class ExamAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "closes_at", "max_uploads", "created_at"]
    list_filter = ["owner"]
    search_fields = ["title"]
    inlines = [StudentInline]


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    list_display = ["nickname", "first_name", "last_name", "email", "exam", "uploads_used"]
    list_select_related = ["exam"]
    search_fields = ["nickname", "first_name", "last_name", "email"]
    readonly_fields = ["upload_code", "uploads_used"]
