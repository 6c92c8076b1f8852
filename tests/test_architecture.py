"""Where code may query: views parse input and call one selector or service; visibility rules
are written once, in the models. Checked from the modules' syntax trees, so a new view or a
filter written by hand fails here before review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.foundation

ROOT = Path(__file__).resolve().parent.parent
VIEW_MODULES = sorted(
    [
        *ROOT.glob("gallery/views/*.py"),
        ROOT / "accounts" / "views.py",
        ROOT / "moderation" / "views.py",
        ROOT / "ops" / "views.py",
    ]
)
# What a QuerySet, a manager or a model instance does against the database.
QUERY_METHODS = {
    "aggregate", "all", "annotate", "bulk_create", "bulk_update", "create", "defer", "delete",
    "earliest", "exclude", "exists", "extra", "filter", "first", "get_or_create", "in_bulk",
    "iterator", "last", "latest", "only", "order_by", "prefetch_related", "raw",
    "refresh_from_db", "save", "select_for_update", "select_related", "update",
    "update_or_create", "values_list",
}  # fmt: skip
SHORTCUTS = {"get_object_or_404", "get_list_or_404"}
# The fields behind the visibility rules: only gallery/models.py filters on them.
RULE_FIELDS = ("deleted_at", "shared_team", "hidden_at", "withheld")


def view_problems(source: str, *, module: str = "") -> list[str]:
    """Each query-like thing in a view module's source, in words."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            names = {alias.name for alias in node.names}
            target = node.module or ""
            if target.split(".")[-1] == "models" or "models" in names and node.level:
                problems.append(f"imports models ({'.' * node.level}{target})")
            if target.startswith("django.db"):
                problems.append(f"imports {target}")
            if names & SHORTCUTS:
                problems.append(f"imports {', '.join(sorted(names & SHORTCUTS))}")
            sibling = node.level == 1 and target and target != "helpers"
            if module.startswith("gallery/views") and sibling:
                problems.append(f"imports the view module .{target} (only .helpers is shared)")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[-1] == "models" or alias.name.startswith("django.db"):
                    problems.append(f"imports {alias.name}")
        elif isinstance(node, ast.Attribute):
            if node.attr == "objects":
                problems.append("uses a manager (.objects)")
            elif node.attr in QUERY_METHODS:
                problems.append(f"calls .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in SHORTCUTS:
            problems.append(f"calls {node.id}")
    return problems


def rule_filters(source: str) -> list[str]:
    """Each filter on a visibility field written by hand: a keyword argument of a call (filter,
    exclude, Q, get_object_or_404...) naming deleted_at or shared_team, for reading."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("update", "create", "bulk_create", "update_or_create"):
            continue  # writes set these fields; only reads must go through the rules
        for keyword in node.keywords:
            if keyword.arg and keyword.arg.startswith(RULE_FIELDS):
                found.append(f"{name}({keyword.arg}=...) at line {node.lineno}")
    return found


@pytest.mark.parametrize("path", VIEW_MODULES, ids=lambda path: str(path.relative_to(ROOT)))
def test_views_query_nothing_themselves(path: Path) -> None:
    module = str(path.relative_to(ROOT))
    assert view_problems(path.read_text(), module=module) == []


def test_the_view_check_finds_each_kind_of_query() -> None:
    source = """
from django.shortcuts import get_object_or_404
from ..models import SavedSearch
from .browse import render_gallery

def view(request, pk):
    saved = get_object_or_404(SavedSearch, pk=pk)
    saved.delete()
    images = request.user.images.filter(deleted_at__isnull=True)
    return SavedSearch.objects.first()
"""
    problems = view_problems(source, module="gallery/views/example.py")
    assert "imports get_object_or_404" in problems
    assert "imports models (..models)" in problems
    assert "imports the view module .browse (only .helpers is shared)" in problems
    assert {"calls get_object_or_404", "calls .delete", "calls .filter", "calls .first"} <= set(
        problems
    )
    assert "uses a manager (.objects)" in problems
    assert view_problems("from .helpers import render_gallery", module="gallery/views/x.py") == []


def test_only_the_models_filter_on_the_visibility_fields() -> None:
    found = {}
    apps = ("gallery", "accounts", "moderation", "audit")
    for path in sorted(path for app in apps for path in ROOT.glob(f"{app}/**/*.py")):
        relative = str(path.relative_to(ROOT))
        if relative == "gallery/models.py" or "/migrations/" in relative:
            continue
        if problems := rule_filters(path.read_text()):
            found[relative] = problems
    assert found == {}
    assert rule_filters("images.filter(deleted_at__isnull=True)") == [
        "filter(deleted_at__isnull=...) at line 1"
    ]
    assert rule_filters("Q(shared_team_id__in=teams)") == ["Q(shared_team_id__in=...) at line 1"]
    assert rule_filters("images.update(deleted_at=None)") == []


def test_the_value_types_import_no_other_module_of_the_project() -> None:
    tree = ast.parse((ROOT / "gallery" / "values.py").read_text())
    imported = [
        node.module or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.level or "gallery" in (node.module or ""))
    ]
    assert imported == []


def test_the_benchmarks_floors_are_mounted_only_by_their_own_settings() -> None:
    from django.test import override_settings
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve("/bench/bare/")
    with override_settings(ROOT_URLCONF="bench.urls"):
        assert resolve("/bench/bare/").url_name == "bench-bare-page"
        assert resolve("/").url_name == resolve("/", urlconf="mka1web.urls").url_name
