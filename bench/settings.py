"""The portal's settings with the benchmarks' URLconf: their floors are mounted only here."""

from mka1web.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
