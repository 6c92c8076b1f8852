"""The portal's URLs and the benchmarks' floor page, for `bench/gallery.py` only."""

from django.urls import include, path

from bench import floor

urlpatterns = [
    path("bench/bare/", floor.bare_page, name="bench-bare-page"),
    path("", include("mka1web.urls")),
]
