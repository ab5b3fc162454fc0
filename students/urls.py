from django.urls import path

from api import views as api_views
from students import bulk, lifecycle, sharing, views

app_name = "students"
urlpatterns = [
    path("", views.exam_list, name="exam_list"),
    path("new/", views.exam_create, name="exam_create"),
    path("<int:pk>/", views.exam_detail, name="exam_detail"),
    path("<int:pk>/edit/", views.exam_edit, name="exam_edit"),
    path("<int:pk>/state/", views.exam_state, name="exam_state"),
    path("<int:pk>/live/", views.exam_live, name="exam_live"),
    path("archived/", views.exam_list_archived, name="exam_list_archived"),
    path("<int:pk>/archive/", lifecycle.exam_archive, name="exam_archive"),
    path("<int:pk>/restore/", lifecycle.exam_restore, name="exam_restore"),
    path("<int:pk>/delete/", lifecycle.exam_delete, name="exam_delete"),
    path("<int:pk>/duplicate/", lifecycle.exam_duplicate, name="exam_duplicate"),
    path("<int:pk>/sharing/", sharing.exam_sharing, name="exam_sharing"),
    path("<int:pk>/sharing/<int:user_pk>/remove/", sharing.exam_unshare, name="exam_unshare"),
    path("<int:pk>/roster.csv", views.roster_csv, name="roster_csv"),
    path("<int:pk>/slips/", views.exam_slips, name="exam_slips"),
    path("<int:pk>/files.zip", views.exam_zip, name="exam_zip"),
    path("<int:pk>/bulk/", bulk.bulk_action, name="bulk_action"),
    path("<int:pk>/import/", views.import_upload, name="import_upload"),
    path("<int:exam_pk>/import/<int:pk>/", views.import_preview, name="import_preview"),
    path("<int:exam_pk>/import/<int:pk>/columns/", views.import_columns, name="import_columns"),
    path("<int:exam_pk>/import/<int:pk>/skipped.csv", views.import_skipped, name="import_skipped"),
    path("import-template.csv", views.import_template, name="import_template"),
    path("<int:exam_pk>/import/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("<int:exam_pk>/import/<int:pk>/cancel/", views.import_cancel, name="import_cancel"),
    path("time-zone/", views.time_zone, name="time_zone"),
    path("api-tokens/", api_views.token_list, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", api_views.token_revoke, name="api_token_revoke"),
    path("examiners/invite/", views.examiner_invite, name="examiner_invite"),
    path("<int:pk>/mail/progress/", views.mailing_progress, name="mailing_progress"),
    path("<int:pk>/mail/settings/", views.exam_mail_settings, name="exam_mail_settings"),
    path("<int:pk>/mail/links/", views.mailing_new, {"kind": "link"}, name="mail_links"),
    path("<int:pk>/mail/reminder/", views.mailing_new, {"kind": "reminder"}, name="mail_reminder"),
    path(
        "<int:pk>/mailings/<int:mailing_pk>/resend/",
        views.mailing_resend,
        name="mailing_resend",
    ),
    path("<int:exam_pk>/students/new/", views.student_create, name="student_create"),
    path("<int:exam_pk>/students/<int:pk>/", views.student_detail, name="student_detail"),
    path("<int:exam_pk>/students/<int:pk>/edit/", views.student_edit, name="student_edit"),
    path(
        "<int:exam_pk>/students/<int:pk>/submissions/<int:submission_pk>/download/",
        views.submission_download,
        name="submission_download",
    ),
    path(
        "<int:exam_pk>/students/<int:pk>/new-link/",
        views.student_new_link,
        name="student_new_link",
    ),
    path(
        "<int:exam_pk>/students/<int:pk>/extra-uploads/",
        views.student_extra_uploads,
        name="student_extra_uploads",
    ),
    path(
        "<int:exam_pk>/students/<int:pk>/remove/",
        lifecycle.student_remove,
        name="student_remove",
    ),
    path(
        "<int:exam_pk>/students/<int:pk>/extension/",
        views.student_extension,
        name="student_extension",
    ),
]
