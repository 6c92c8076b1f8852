from django.urls import path

from . import views

app_name = "gallery"

urlpatterns = [
    path("", views.index, name="index"),
    path("generate/", views.generate, name="generate"),
    path("generations/status.json", views.generation_status, name="generation-status"),
    path("generations/<int:pk>/", views.generation_detail, name="generation"),
    path("generations/<int:pk>/cancel/", views.generation_cancel, name="generation-cancel"),
    path("generations/<int:pk>/rerun/", views.generation_rerun, name="generation-rerun"),
    path("images/<int:pk>/", views.image_detail, name="image"),
    path("images/<int:pk>/original", views.image_file, name="image-file"),
    path("images/<int:pk>/thumbnail.webp", views.image_thumbnail, name="image-thumbnail"),
    path("images/<int:pk>/delete/", views.image_delete, name="image-delete"),
]
