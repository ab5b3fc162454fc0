from django.urls import path

from students import views

app_name = "students"
urlpatterns = [
    path("", views.exam_list, name="exam_list"),
    path("new/", views.exam_create, name="exam_create"),
    path("<int:pk>/", views.exam_detail, name="exam_detail"),
    path("<int:pk>/edit/", views.exam_edit, name="exam_edit"),
    path("<int:exam_pk>/students/new/", views.student_create, name="student_create"),
    path("<int:exam_pk>/students/<int:pk>/", views.student_detail, name="student_detail"),
    path(
        "<int:exam_pk>/students/<int:pk>/submissions/<int:submission_pk>/download/",
        views.submission_download,
        name="submission_download",
    ),
]
