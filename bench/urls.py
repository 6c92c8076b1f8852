"""The portal's URLs and the benchmarks' floor page, for `bench/gallery.py` only."""

from django.urls import include, path

from bench import floor

urlpatterns = [
    path("bench/bare/", floor.bare_page, name="bench-bare-page"),
    path("bench/bare-submit/", floor.bare_submit, name="bench-bare-submit"),
    path("", include("mka1web.urls")),
]
