"""The import rules of docs/ARCHITECTURE.md, checked by walking every module of the project and its imports.

A rule broken by a new import fails here with the module, the import and the rule, before it becomes a habit.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The project's own apps; contacts_crm is the project itself (settings, URLs, roles, composing commands).
APPS = ("crm_core", "jobs", "customers", "companies", "orders", "tickets", "imports", "merges", "contacts_crm")
# Layers inside an app whose imports are restricted; a package (services/) counts with its modules.
LOW_LAYERS = ("models", "services", "selectors")
# What a view or form module is: a module, or a package's module, named so.
UI_LAYERS = ("views", "forms")
MODULE_LIMIT = 400


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module, dotted, resolved to a submodule where `from package import module`
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def project_modules() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts
    ]


def imports_of(path: Path) -> list[Import]:
    """Every import in the module, at the top or inside a function, resolved to the modules it names."""
    name = module_name(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [Import(name, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.append(Import(name, submodule if is_module(submodule) else node.module, node.lineno))
    return found


def app_of(dotted: str) -> str:
    return dotted.split(".")[0]


def layer_of(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else ""


def broken_rules(imports: list[Import]) -> list[str]:
    """Return each import that breaks a rule, said as a sentence naming the rule."""
    broken = []
    for each in imports:
        source, target = app_of(each.module), app_of(each.target)
        if target not in APPS or source == target:
            continue
        where = f"{each.module} (line {each.line}) imports {each.target}"
        if source == "crm_core":
            broken.append(f"{where}: the core layer imports no app of the project")
        if source == "jobs" and target != "crm_core":
            broken.append(f"{where}: the jobs app stands on the core layer only; apps register their jobs with it")
        if source == "customers" and layer_of(each.module) in LOW_LAYERS and target in ("companies", "orders"):
            broken.append(f"{where}: customers' models, services and selectors import neither companies nor orders")
        # The core layer's form helpers are there to be shared; an app's own forms and views are not.
        if layer_of(each.target) in UI_LAYERS and target != "crm_core":
            broken.append(f"{where}: no app imports another app's views or forms")
        if target == "imports" and source != "contacts_crm":
            broken.append(f"{where}: the import sits on top of the apps; none of them imports it")
        # The merges app moves every other app's rows; their views may show its hints, nothing lower uses it.
        if target == "merges" and source != "contacts_crm" and layer_of(each.module) in LOW_LAYERS:
            broken.append(f"{where}: merges sits on top of the apps; no app's models, services or selectors import it")
        if target == "contacts_crm" and source != "contacts_crm":
            broken.append(f"{where}: the apps do not import the project; it composes them")
    return broken


def all_imports() -> list[Import]:
    return [each for path in project_modules() for each in imports_of(path)]


def test_the_walk_finds_the_project_and_its_imports():
    modules = {module_name(path) for path in project_modules()}
    assert {"crm_core.batching", "customers.services.contacts", "orders.services.placed"} <= modules
    targets = {(each.module, each.target) for each in all_imports()}
    # A package's module named in `from package import module` is resolved to that module.
    assert ("customers.urls", "customers.views.contacts") in targets
    assert ("companies.services", "customers.services") in targets


def test_no_import_breaks_the_layering_rules():
    assert broken_rules(all_imports()) == []


@pytest.mark.parametrize(
    ("imported", "rule"),
    [
        (Import("crm_core.forms", "customers.models", 1), "the core layer imports no app"),
        (Import("customers.services.labels", "companies.models", 1), "import neither companies nor orders"),
        (Import("customers.selectors.export", "orders.models", 1), "import neither companies nor orders"),
        (Import("customers.models", "orders.models", 1), "import neither companies nor orders"),
        (Import("orders.views", "customers.forms.contacts", 1), "another app's views or forms"),
        (Import("companies.forms", "customers.views", 1), "another app's views or forms"),
        (Import("orders.services.placed", "contacts_crm.roles", 1), "the apps do not import the project"),
        (Import("jobs.services", "customers.models", 1), "the jobs app stands on the core layer only"),
        (Import("customers.services.imports", "imports.models", 1), "none of them imports it"),
        (Import("companies.views", "imports.selectors", 1), "none of them imports it"),
        (Import("customers.services.trash", "merges.services", 1), "no app's models, services or selectors import it"),
        (Import("orders.models", "merges.models", 1), "no app's models, services or selectors import it"),
        (Import("tickets.selectors", "merges.finder", 1), "no app's models, services or selectors import it"),
    ],
)
def test_each_rule_catches_the_import_it_forbids(imported, rule):
    assert any(rule in broken for broken in broken_rules([imported]))


@pytest.mark.parametrize(
    "allowed",
    [
        Import("companies.services", "customers.services", 1),
        Import("customers.views.contacts", "companies.selectors", 1),
        Import("customers.forms.contact_rows", "companies.selectors", 1),
        Import("orders.models", "crm_core.models", 1),
        Import("contacts_crm.management.commands.seed_demo", "orders.services", 1),
        Import("customers.views.contacts", "customers.forms", 1),
        Import("customers.services.background", "jobs.services", 1),
        Import("jobs.tasks", "crm_core.tasks", 1),
        Import("imports.services.applying", "customers.services.imports", 1),
        Import("customers.views.contacts", "merges.services.merge", 1),
        Import("merges.services.merge", "orders.models", 1),
    ],
)
def test_what_the_rules_allow_passes(allowed):
    assert broken_rules([allowed]) == []


def test_no_module_outside_migrations_and_bench_is_over_the_limit():
    long = {
        str(path.relative_to(ROOT)): lines
        for path in project_modules()
        if (lines := len(path.read_text().splitlines())) > MODULE_LIMIT
    }
    assert long == {}


def test_every_module_says_in_its_first_line_what_it_holds():
    silent = [
        str(path.relative_to(ROOT))
        for path in project_modules()
        if path.stat().st_size
        and ast.get_docstring(ast.parse(path.read_text())) is None
        and path.name not in ("__init__.py", "apps.py", "admin.py", "asgi.py", "wsgi.py", "settings.py")
    ]
    assert silent == []
