from django.urls import path

from api import v0, v1, views

urlpatterns = [
    path("v1/", v1.api.urls),
    path("v0/", v0.api.urls),
    path("docs", views.docs, name="api_docs"),
]
