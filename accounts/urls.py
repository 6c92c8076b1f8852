from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("teams/switch/", views.team_switch, name="team-switch"),
    path("teams/<slug:slug>/", views.team_detail, name="team"),
    path("teams/<slug:slug>/notice/dismiss/", views.notice_dismiss, name="notice-dismiss"),
    path("teams/<slug:slug>/members/", views.member_add, name="member-add"),
    path("teams/<slug:slug>/members/<int:pk>/role/", views.member_role, name="member-role"),
    path("teams/<slug:slug>/members/<int:pk>/remove/", views.member_remove, name="member-remove"),
]
