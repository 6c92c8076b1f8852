from django.urls import path

from .views import browse, exports, generations, images, library, usage

app_name = "gallery"

urlpatterns = [
    path("", browse.index, name="index"),
    path("trash/", browse.trash, name="trash"),
    path("trash/empty/", browse.trash_empty, name="trash-empty"),
    path("searches/", browse.saved_search_create, name="saved-search-create"),
    path("searches/<int:pk>/delete/", browse.saved_search_delete, name="saved-search-delete"),
    path("generate/", generations.generate, name="generate"),
    path("generations/<int:pk>/", generations.generation_detail, name="generation"),
    path("generations/<int:pk>/card/", generations.generation_card, name="generation-card"),
    path("generations/<int:pk>/cancel/", generations.generation_cancel, name="generation-cancel"),
    path("generations/<int:pk>/rerun/", generations.generation_rerun, name="generation-rerun"),
    path("generations/<int:pk>/remix/", generations.generation_remix, name="generation-remix"),
    path("images/bulk/", images.bulk, name="bulk"),
    path("images/<int:pk>/", images.image_detail, name="image"),
    path("images/<int:pk>/original", images.image_file, name="image-file"),
    path("images/<int:pk>/thumbnail.webp", images.image_thumbnail, name="image-thumbnail"),
    path("images/<int:pk>/delete/", images.image_delete, name="image-delete"),
    path("images/<int:pk>/favorite/", images.image_favorite, name="image-favorite"),
    path("images/<int:pk>/share/", images.image_share, name="image-share"),
    path("images/<int:pk>/unshare/", images.image_unshare, name="image-unshare"),
    path("library/", library.library, name="library"),
    path("library/images/<int:pk>/", library.library_image, name="library-image"),
    path("library/images/<int:pk>/remix/", library.library_remix, name="library-remix"),
    path("library/images/<int:pk>/remove/", library.library_remove, name="library-remove"),
    path("exports/", exports.export_search, name="export-search"),
    path("exports/<int:pk>/", exports.export_detail, name="export"),
    path("exports/<int:pk>/download/", exports.export_download, name="export-download"),
    path("usage/", usage.my_usage, name="usage"),
    path("teams/<slug:slug>/usage/", usage.team_usage, name="team-usage"),
]
