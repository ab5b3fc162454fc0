"""The examiner's API token pages. They sit beside the dashboard (/exams/api-tokens/), not
under /api/, whose errors are answered as problem documents for scripts."""

from django.urls import path

from api import views

app_name = "api_tokens"
urlpatterns = [
    path("", views.token_list, name="list"),
    path("<int:pk>/revoke/", views.token_revoke, name="revoke"),
]
