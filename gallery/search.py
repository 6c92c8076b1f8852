"""How far a search walks the newest rows before it asks the full-text index.

A page of a search can be found two ways: by walking the scope's rows newest first and keeping
the matches, which a common word fills at once and a rare one never does; or through the
full-text index, which hands over every match at once, cheap when they are few and costly when
they are many (each is fetched and sorted). Which way suits a query follows from how many rows
it matches, estimated here the way PostgreSQL's planner does it: from the statistics ANALYZE
keeps of the search vector's most common lexemes and of each filter column's most common values.
Unlike the planner's own choice, the walk is always bounded, so a word that the statistics call
common but that a user never wrote costs one bounded walk before the index answers.
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import BooleanField, Case, Expression, F, Func, Q, QuerySet, Value, When
from django.db.models.sql.datastructures import BaseTable

from .models import SEARCH_CONFIG, GeneratedImage
from .values import IMAGE_FILTER_FIELDS, LEXEME, GalleryFilters, lexemes_of

# Statistics change only when ANALYZE runs; each process reads them again after this long.
STATS_TTL = 600.0
# Rows walked when nothing is known of the query; a scope no larger is always walked whole.
DEFAULT_WALK = 2000
# The longest walk: past it, the older rows are asked of the index, whatever the estimate.
MAX_WALK = 20000
# Walk this many times the rows the estimate says a page needs, as estimates are rough.
MARGIN = 2
# What the index costs, in rows walked: for each row its words match, as it reads and intersects
# their lists of rows, and for each row that also passes the filters (they are in the index
# too), which it fetches and sorts. Measured at 100,000 rows: a row walked 0.4-0.7 µs, a listed
# row 0.3 µs, a fetched one 0.75 µs; rounded up in favour of the walk, whose cost is bounded.
INDEX_WORD_COST = 1
INDEX_MATCH_COST = 2
FILTER_COLUMNS = IMAGE_FILTER_FIELDS
SCOPE_COLUMNS = ("user_id", "shared_team_id")

AND = re.compile(r"&|<\d+>|<->")


def search_vector_sql(prompt: str, revised_prompt: str) -> str:
    """An image's search vector in SQL: the prompt's words weigh more than the revised prompt's.
    The arguments are SQL expressions; the configuration is the parameter `search_config`."""
    return (
        f"setweight(to_tsvector(%(search_config)s::regconfig, {prompt}), 'A')"
        f" || setweight(to_tsvector(%(search_config)s::regconfig, {revised_prompt}), 'B')"
    )


@dataclass(frozen=True)
class Column:
    """A column's most common values and their shares, and the share of each other value."""

    common: dict[str, float]
    other: float

    def share(self, value: object) -> float:
        return self.common.get(str(value), self.other)


@dataclass(frozen=True)
class Frequencies:
    """What PostgreSQL's last ANALYZE found: the table's rows, the share of rows holding each of
    the search vector's most common lexemes, and the spread of the filter and scope columns."""

    rows: float
    lexemes: dict[str, float]
    columns: dict[str, Column]

    def lexeme(self, lexeme: str) -> float:
        # A lexeme that is not among the most common ones is rarer than the rarest of them.
        return self.lexemes.get(lexeme, min(self.lexemes.values()) / 2)


_cache: tuple[float, Frequencies | None] | None = None
_cache_lock = threading.Lock()


def frequencies() -> Frequencies | None:
    """The table's statistics, read at most once per STATS_TTL; None before any ANALYZE."""
    global _cache
    now = time.monotonic()
    cached = _cache
    if cached is not None and now - cached[0] < STATS_TTL:
        return cached[1]
    with _cache_lock:
        if _cache is cached:
            _cache = (now, _read_frequencies())
        return _cache[1] if _cache else None


def forget_frequencies() -> None:
    global _cache
    _cache = None


def _read_frequencies() -> Frequencies | None:
    table = GeneratedImage._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT attname, null_frac, n_distinct,
                   most_common_vals::text::text[], most_common_freqs,
                   most_common_elems::text::text[], most_common_elem_freqs,
                   (SELECT reltuples FROM pg_class WHERE oid = %s::regclass)
            FROM pg_stats
            WHERE schemaname = current_schema() AND tablename = %s AND attname = ANY(%s)
            """,
            [table, table, ["search_vector", *FILTER_COLUMNS, *SCOPE_COLUMNS]],
        )
        return frequencies_from(cursor.fetchall())


def frequencies_from(rows: list[tuple[Any, ...]]) -> Frequencies | None:
    """Frequencies from pg_stats rows: (column, null share, n_distinct, common values, their
    shares, common elements, their shares, the table's reltuples)."""
    lexemes: dict[str, float] = {}
    columns: dict[str, Column] = {}
    table_rows = 0.0
    for name, nulls, distinct, values, shares, elements, element_shares, reltuples in rows:
        table_rows = float(reltuples)
        if name == "search_vector":
            # The element shares are followed by summary figures (their minimum and maximum).
            lexemes = dict(zip(elements or [], element_shares or [], strict=False))
            continue
        common = dict(zip(values or [], shares or [], strict=False))
        # n_distinct below zero is a share of the rows rather than a count.
        distinct = -distinct * table_rows if distinct < 0 else distinct
        rest = max(distinct - len(common), 1.0)
        columns[name] = Column(common, max(0.0, 1.0 - nulls - sum(common.values())) / rest)
    if not lexemes or table_rows <= 0:
        return None
    return Frequencies(rows=table_rows, lexemes=lexemes, columns=columns)


def query_share(tsquery: str, stats: Frequencies) -> float | None:
    """The share of rows a tsquery (as PostgreSQL prints it) matches, if it can be told:
    lexemes joined by AND or phrase operators only, or by OR only."""
    lexemes = lexemes_of(tsquery)
    operators = LEXEME.sub(" ", tsquery).split()
    if not lexemes or any(char in "()!" for char in "".join(operators)):
        return None
    shares = [stats.lexeme(lexeme) for lexeme in lexemes]
    if all(AND.fullmatch(operator) for operator in operators):
        return math.prod(shares)
    if all(operator == "|" for operator in operators):
        return 1 - math.prod(1 - share for share in shares)
    return None


def walk_length(
    tsquery: str | None, filters: GalleryFilters, page_rows: int, scope: tuple[str, int]
) -> int:
    """How many of the scope's newest rows to walk before asking the full-text index for the
    rest; 0 to ask it at once. `scope` is the scope's column and its value."""
    stats = frequencies()
    if stats is None or filters.favorites or filters.date_from or filters.date_to:
        return DEFAULT_WALK
    words = query_share(tsquery, stats) if tsquery else 1.0
    if words is None:
        return DEFAULT_WALK
    share = words
    for name in FILTER_COLUMNS:
        value = getattr(filters, name)
        if value:
            if name not in stats.columns:
                return DEFAULT_WALK
            share *= stats.columns[name].share(value)
    column = stats.columns.get(scope[0])
    if column is None:
        return DEFAULT_WALK
    scope_rows = max(column.share(scope[1]) * stats.rows, 1.0)
    # The walk reads rows until a page is full; the index reads the lists of the rows each word
    # and filter value holds, and fetches every row in all of them.
    walked = min(page_rows / share if share > 0 else scope_rows, scope_rows)
    index = (INDEX_WORD_COST * words + INDEX_MATCH_COST * share) * scope_rows
    if tsquery and walked > index:
        return 0
    return min(MAX_WALK, max(DEFAULT_WALK, int(MARGIN * walked)))


def matches_by_walking(query: SearchQuery, filters: GalleryFilters) -> Expression:
    """The match through a function the full-text index cannot serve, so the planner walks the
    (scope, created) index instead. PostgreSQL tests a column's equality to a value after its
    other conditions, whatever their cost: the filters are written into the match, so that it
    is tested only on the rows they let through."""
    match = Func(F("search_vector"), query, function="ts_match_vq", output_field=BooleanField())
    columns = {name: getattr(filters, name) for name in FILTER_COLUMNS}
    columns = {name: value for name, value in columns.items() if value}
    if not columns:
        return match
    return Case(When(Q(**columns), then=match), default=Value(False), output_field=BooleanField())


def start(ahead: QuerySet[GeneratedImage], text: str) -> tuple[str | None, bool]:
    """A search's first statement: its tsquery as PostgreSQL prints it, and whether the rows
    ahead are so few that walking them all is the cheapest way."""
    head = ahead.order_by().values("pk")[:DEFAULT_WALK]
    head_sql, head_params = head.query.sql_with_params()  # Django's SQL, values apart
    printed = "CASE WHEN %s <> '' THEN websearch_to_tsquery(%s::regconfig, %s)::text END"
    statement = f"SELECT {printed}, (SELECT count(*) FROM ({head_sql}) AS head)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, [text, SEARCH_CONFIG, text, *head_params])
        tsquery, rows_ahead = cursor.fetchone()
    return tsquery, rows_ahead < DEFAULT_WALK


def from_rows(
    images: QuerySet[GeneratedImage], rows: QuerySet[GeneratedImage]
) -> QuerySet[GeneratedImage]:
    """`images` reading from `rows` (a query over the images table with a LIMIT) in place of
    the table. PostgreSQL runs `rows` first, so a walk costs the rows it reads, never more than
    that LIMIT, and the joins and the columns computed for a card are done for those rows only.
    For SELECTs only: an UPDATE or DELETE would not see the LIMIT."""
    images = images.all()
    table = images.query.get_initial_alias()
    assert table is not None
    base_table = images.query.alias_map[table].table_name
    images.query.alias_map[table] = _RowsTable(base_table, table, rows)
    return images


class _RowsTable(BaseTable):
    """The images table in a query's FROM, replaced by a subquery over it."""

    def __init__(self, table_name: str, alias: str, rows: QuerySet[GeneratedImage]) -> None:
        super().__init__(table_name, alias)
        self.rows = rows

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        sql, params = self.rows.query.get_compiler(connection=connection).as_sql()
        return f"({sql}) {compiler.quote_name_unless_alias(self.table_alias)}", tuple(params)

    def relabeled_clone(self, change_map: dict[str | None, str]) -> _RowsTable:
        alias = change_map.get(self.table_alias) or self.table_alias or self.table_name
        return self.__class__(self.table_name, alias, self.rows)
