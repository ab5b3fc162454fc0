from django.urls import path

from submissions import views

app_name = "submissions"
urlpatterns = [
    path("u/<str:upload_code>/", views.upload, name="upload"),
    path("u/<str:upload_code>/commit/", views.commit, name="commit"),
    path("u/<str:upload_code>/deliver/<str:token>/", views.deliver, name="deliver"),
    path("u/<str:upload_code>/complete/<str:token>/", views.complete, name="complete"),
    path("u/<str:upload_code>/receipt/<str:verification_code>/", views.receipt, name="receipt"),
    path(
        "u/<str:upload_code>/receipt/<str:verification_code>/qr/",
        views.receipt_qr,
        name="receipt_qr",
    ),
    path(
        "u/<str:upload_code>/receipt/<str:verification_code>/signed/",
        views.signed_receipt,
        name="signed_receipt",
    ),
    path(
        "u/<str:upload_code>/receipt/<str:verification_code>/file/",
        views.own_file,
        name="own_file",
    ),
    path("verify/", views.verify, name="verify"),
    # An examiner's read-only preview of a student's page (here, as it is the public page).
    path("preview/<int:exam_pk>/", views.preview, name="preview"),
    path("preview/<int:exam_pk>/<int:pk>/", views.preview, name="preview"),
    path("verify/download/", views.download, name="download_posted"),
    path("verify/receipt/", views.check_receipt, name="check_receipt"),
    path("verify/checker/", views.receipt_checker, name="checker"),
    path("verify/<str:verification_code>/download/", views.download, name="download"),
    path("files/<str:token>/", views.local_file, name="file"),
]
