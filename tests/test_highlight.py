"""Marking a search's words: the words marked are those PostgreSQL's own ts_headline marks."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from gallery.highlight import marked, query_lexemes
from gallery.models import SEARCH_CONFIG

pytestmark = [pytest.mark.gallery, pytest.mark.django_db]

TEXTS = [
    "A Lighthouse on the cliffs; lighthouses at dawn, LIGHTHOUSE's lamp",
    "happy children, happiness and the happiest day",
    "skies over the sky, dying embers, lying in the grass, a tie",
    "running runners ran to the run-down mill",
    "4k render, 1024x1024, v2 model, 35mm film, f/1.8",
    "café au lait, naïve art, über cool, Ærøskøbing harbour",
    "sun-lit meadow, well-known painter, state-of-the-art studio",
    "it's the artist's studio, don't stop",
    "generously generous generation generating generic genes",
    "early earlier earliest earl, only onlys, gently gentle",
    "news of the newsreel, cosmos and cosmic atlas",
    "under_score and snake_case words",
    "city cities citizen cite",
]
QUERIES = [
    "lighthouse",
    "happy",
    "sky dying",
    "run",
    "4k 35mm",
    "café naive",
    "sun-lit",
    "artist's",
    "generous generation",
    "early gently",
    "news cosmos",
    "snake",
    "cities",
    '"happy children" -sky',
    "lighthouse or city",
]
MARK = re.compile(r"<mark>(.*?)</mark>")


def postgres_marks(text: str, query: str) -> tuple[list[str], str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ts_headline(%s::regconfig, %s, websearch_to_tsquery(%s::regconfig, %s),"
            " 'StartSel=<mark>, StopSel=</mark>, HighlightAll=true'),"
            " websearch_to_tsquery(%s::regconfig, %s)::text",
            [SEARCH_CONFIG, text, SEARCH_CONFIG, query, SEARCH_CONFIG, query],
        )
        headline, tsquery = cursor.fetchone()
    return MARK.findall(headline), tsquery


@pytest.mark.parametrize("query", QUERIES)
def test_the_words_marked_are_those_postgresql_marks(query: str) -> None:
    for text in TEXTS:
        expected, tsquery = postgres_marks(text, query)
        found = MARK.findall(marked(text, query_lexemes(tsquery)))
        assert found == expected, (query, text)


def test_the_text_around_the_marks_is_escaped() -> None:
    html = marked('<b>"red"</b> & a red\'s <script>', frozenset({"red"}))
    assert html == (
        "&lt;b&gt;&quot;<mark>red</mark>&quot;&lt;/b&gt; &amp; a <mark>red</mark>&#x27;s "
        "&lt;script&gt;"
    )


def test_without_lexemes_the_text_is_only_escaped() -> None:
    assert marked("a <red> lighthouse", frozenset()) == "a &lt;red&gt; lighthouse"
    assert marked("", frozenset({"red"})) == ""


def test_lexemes_are_read_from_a_printed_tsquery() -> None:
    assert query_lexemes("'red' & 'lighthous'") == {"red", "lighthous"}
    assert query_lexemes("'it''s' <-> 'art'") == {"it's", "art"}
    assert query_lexemes(None) == frozenset()
