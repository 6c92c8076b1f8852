from django.urls import path

from . import views

app_name = "moderation"

urlpatterns = [
    path("moderation/", views.queue, name="queue"),
    path("moderation/cases/<int:pk>/", views.case_detail, name="case"),
    path("moderation/cases/<int:pk>/act/", views.case_act, name="case-act"),
    path("moderation/cases/<int:pk>/thumbnail.webp", views.case_thumbnail, name="case-thumbnail"),
    path("moderation/images/<int:pk>/original", views.image_file, name="image-file"),
    path(
        "moderation/images/<int:pk>/thumbnail.webp",
        views.image_thumbnail,
        name="image-thumbnail",
    ),
    path("moderation/users/<int:pk>/", views.user_detail, name="user"),
    path("moderation/users/<int:pk>/act/", views.user_act, name="user-act"),
    path("moderation/refusals/", views.refusals, name="refusals"),
    path("moderation/audit/", views.audit, name="audit"),
    path("moderation/audit.csv", views.audit_csv, name="audit-csv"),
    path("library/images/<int:pk>/report/", views.report, name="report"),
    path("reports/", views.my_reports, name="my-reports"),
    path("notices/", views.notices, name="notices"),
    path("notices/cases/<int:case_pk>/appeal/", views.appeal, name="appeal"),
]
