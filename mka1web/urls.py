from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.forms import LoginForm
from api.endpoints import urlpatterns as api_urlpatterns

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_urlpatterns(), "ninja"), namespace="api-v1")),
    path("", include("api.urls")),
    path("", include("ops.urls")),
    path("", include("accounts.urls")),
    path("", include("moderation.urls")),
    path("", include("gallery.urls")),
]
