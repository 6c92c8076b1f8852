"""The words of a text that a search matched, marked for the page.

PostgreSQL's ts_headline parses and stems the whole text again on every call, which for a page
of 48 cards (prompt and revised prompt each) cost more than finding the page. The search vector
is built with the english configuration: words of letters go through the Snowball English
stemmer, words with digits are only lowercased. The same stemmer (PyStemmer, Snowball's own C
code) stems a text's words here, so a word is marked when its lexeme is one of the query's, as
PostgreSQL prints them in the tsquery. Only words that start like one of those lexemes are
stemmed (a stem keeps all but at most the last two letters of its word), each distinct word
once per process.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from html import escape

import Stemmer

from .values import WORD_CHARS, lexemes_of

_stemmer = Stemmer.Stemmer("english")
_stemmer_lock = threading.Lock()  # a Stemmer object is not safe to share between threads


def query_lexemes(tsquery: str | None) -> frozenset[str]:
    """The lexemes of a tsquery as PostgreSQL prints it, as a set; none without one."""
    return frozenset(lexemes_of(tsquery)) if tsquery else frozenset()


@lru_cache(maxsize=100_000)
def lexeme(word: str) -> str:
    """What the english configuration makes of one word."""
    lowered = word.lower()
    if any(char.isdigit() for char in lowered):
        return lowered
    with _stemmer_lock:
        return str(_stemmer.stemWord(lowered))


@lru_cache(maxsize=1024)
def _candidates(lexemes: frozenset[str]) -> re.Pattern[str]:
    starts = sorted({re.escape(word[: max(1, len(word) - 2)]) for word in lexemes})
    return re.compile(f"(?<!{WORD_CHARS})(?:{'|'.join(starts)}){WORD_CHARS}*", re.IGNORECASE)


def marked(text: str, lexemes: frozenset[str]) -> str:
    """The text, HTML-escaped, with each word whose lexeme is in `lexemes` inside <mark>."""
    if not lexemes or not text:
        return escape(text or "")
    parts = []
    shown = 0
    for found in _candidates(lexemes).finditer(text):
        word = found.group()
        if lexeme(word) in lexemes:
            parts.append(escape(text[shown : found.start()]))
            parts.append(f"<mark>{escape(word)}</mark>")
            shown = found.end()
    parts.append(escape(text[shown:]))
    return "".join(parts)
