"""The layout holds: imports run one way, `predictions.ml` stays free of the ORM and HTTP,
and no module or function grows past what a reader takes in at once (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("mlbilling", "accounts", "billing", "predictions", "analytics")

# Which of our apps each app may import (besides itself and mlbilling, which all may).
ALLOWED = {
    "mlbilling": set(),
    "accounts": set(),
    "billing": {"accounts"},
    "predictions": {"billing", "accounts"},
    "analytics": {"predictions", "billing", "accounts"},
}
# predictions.ml is the models' own world: the six cases know nothing of the database,
# the web or the rest of the app, so they can be trained and tested on their own.
ML_FORBIDDEN = (
    "django.db",
    "django.http",
    "django.shortcuts",
    "rest_framework",
    "predictions.models",
    "predictions.registry",
    "predictions.serving",
    "predictions.batch",
    "predictions.api",
    "billing",
    "accounts",
)
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# Declarations that are long because the data is: the dataset's 241 column names.
DATA_TABLES = {"predictions/ml/cases/android_malware/features.py"}


def _sources(*tops: str, with_tests: bool = False) -> list[Path]:
    paths = []
    for top in tops:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts or (not with_tests and "tests" in parts):
                continue
            paths.append(path)
    return paths


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("app", APPS)
def test_an_app_imports_only_the_apps_below_it(app):
    wrong = []
    for path in _sources(app):
        for module in _imported_modules(path):
            top = module.split(".")[0]
            if top in APPS and top not in (app, "mlbilling") and top not in ALLOWED[app]:
                wrong.append(f"{_name(path)} imports {module}")
    assert wrong == []


def test_analytics_only_reads():
    writers = [
        f"{_name(path)} imports {module}"
        for path in _sources("analytics")
        for module in _imported_modules(path)
        if module.split(".")[0] in APPS
        and module.split(".")[0] != "analytics"
        and ("services" in module.split(".") or module.startswith("billing.ledger"))
    ]
    assert writers == []


def test_the_ml_package_knows_no_database_web_or_billing():
    wrong = [
        f"{_name(path)} imports {module}"
        for path in _sources("predictions/ml")
        for module in _imported_modules(path)
        if any(module == banned or module.startswith(f"{banned}.") for banned in ML_FORBIDDEN)
    ]
    assert wrong == []


def test_the_import_check_catches_a_wrong_import(tmp_path):
    # The checks above are only as good as the import reader: it must see a late import.
    module = tmp_path / "late.py"
    module.write_text("def f():\n    from predictions.serving import services\n")
    assert "predictions.serving.services" in _imported_modules(module)


def test_no_module_is_too_long_to_read():
    long = [
        f"{_name(path)}: {lines} lines"
        for path in _sources(*APPS, "bench", with_tests=True)
        if _name(path) not in DATA_TABLES
        and (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert long == []


def test_no_function_is_too_long_to_read():
    long = []
    for path in _sources(*APPS, "bench", with_tests=True):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{_name(path)}:{node.lineno} {node.name}: {lines} lines")
    assert long == []
