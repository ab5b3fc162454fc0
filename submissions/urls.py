from django.urls import path

from submissions import views

app_name = "submissions"
urlpatterns = [
    path("u/<str:upload_code>/", views.upload, name="upload"),
    path("u/<str:upload_code>/receipt/<str:verification_code>/", views.receipt, name="receipt"),
    path(
        "u/<str:upload_code>/receipt/<str:verification_code>/file/",
        views.own_file,
        name="own_file",
    ),
    path("verify/", views.verify, name="verify"),
    path("exams/<int:exam_pk>/preview/", views.preview, name="preview"),
    path("exams/<int:exam_pk>/students/<int:pk>/preview/", views.preview, name="preview"),
    path("verify/<str:verification_code>/download/", views.download, name="download"),
    path("files/<str:token>/", views.local_file, name="file"),
]
