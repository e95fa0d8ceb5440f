"""Add a business domain: `task new-domain -- reviews`.

Writes `src/storefront/<name>/` (models, schemas, service, router, dependencies,
exceptions) and `tests/<name>/` from the templates in scripts/domain_template/,
registers the models (core/models.py) and the router (core/main.py), formats what
it touched with ruff, and writes the migration with `migrate-new`. The name is the
plural, snake_case (`gift_cards`); the model's name is its singular (`GiftCard`)
unless `--singular` says otherwise. A bad name is refused before anything is written;
if a later step fails, everything written is taken back.
"""

import argparse
import ast
import importlib.util
import keyword
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).with_name("domain_template")
PACKAGE = REPO_ROOT / "src" / "storefront"
MODELS_MODULE = PACKAGE / "core" / "models.py"
APP_MODULE = PACKAGE / "core" / "main.py"
SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
# PostgreSQL cuts identifiers at 63 bytes; the index and constraint names add to the name.
MAX_NAME_LENGTH = 40
# Names of the project's own top-level packages, which a test package could shadow.
PROJECT_MODULES = {"storefront", "tests", "scripts"}


class BadNameError(Exception):
    """The name cannot be a new domain; the message says why."""


@dataclass(frozen=True)
class Domain:
    name: str  # the package, the table and the tag: `gift_cards`
    singular: str  # variables and function names: `gift_card`

    @property
    def model(self) -> str:
        return "".join(part.title() for part in self.singular.split("_"))

    def template_variables(self) -> dict[str, str]:
        human_plural = self.name.replace("_", " ")
        return {
            "name": self.name,
            "singular": self.singular,
            "model": self.model,
            "prefix": self.singular,  # the TypeID prefix: `gift_card_01j...`
            "url": self.name.replace("_", "-"),
            "human": self.singular.replace("_", " "),
            "human_plural": human_plural,
            "human_title": self.singular.replace("_", " ").title(),
            "title": human_plural.capitalize(),
        }


def singular_of(name: str) -> str:
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith(("ses", "xes", "zes", "ches", "shes")):
        return name[:-2]
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


def check_identifier(name: str, what: str) -> None:
    if not SNAKE_CASE.fullmatch(name):
        raise BadNameError(
            f"{what} {name!r} is not a snake_case identifier: lowercase letters, digits and"
            " single underscores, starting with a letter (e.g. gift_cards)."
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise BadNameError(f"{what} {name!r} is a Python keyword.")
    if len(name) > MAX_NAME_LENGTH:
        raise BadNameError(f"{what} {name!r} is longer than {MAX_NAME_LENGTH} characters.")


def used_names() -> tuple[set[str], set[str], set[str]]:
    """The tables, model classes and TypeID prefixes the project has now."""
    from storefront.core.models import Base

    tables = set(Base.metadata.tables)
    models = {mapper.class_.__name__ for mapper in Base.registry.mappers}
    prefixes = {
        match.group(1)
        for path in PACKAGE.rglob("*.py")
        for match in re.finditer(r'TypeId\("(\w+)"\)', path.read_text())
    }
    return tables, models, prefixes


def check_domain(domain: Domain) -> None:
    check_identifier(domain.name, "The name")
    check_identifier(domain.singular, "The singular")
    if (PACKAGE / domain.name).exists() or (PACKAGE / f"{domain.name}.py").exists():
        raise BadNameError(f"storefront.{domain.name} exists already.")
    if (REPO_ROOT / "tests" / domain.name).exists():
        raise BadNameError(f"tests/{domain.name} exists already.")
    if (
        domain.name in sys.stdlib_module_names
        or domain.name in PROJECT_MODULES
        or importlib.util.find_spec(domain.name) is not None
    ):
        raise BadNameError(f"{domain.name!r} would shadow a module the app imports.")
    tables, models, prefixes = used_names()
    if domain.name in tables:
        raise BadNameError(f"A table named {domain.name!r} exists already.")
    if domain.model in models:
        raise BadNameError(f"A model named {domain.model} exists already (use --singular).")
    if domain.singular in prefixes:
        raise BadNameError(f"The id prefix {domain.singular!r} is taken (use --singular).")


def rendered_files(domain: Domain) -> dict[Path, str]:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - Python source, not HTML
    )
    targets = {"src": PACKAGE / domain.name, "tests": REPO_ROOT / "tests" / domain.name}
    variables = domain.template_variables()
    files = {}
    for template in sorted(TEMPLATES.rglob("*.jinja")):
        relative = template.relative_to(TEMPLATES)
        target = targets[relative.parts[0]].joinpath(*relative.parts[1:]).with_suffix("")
        if target.name == "test_api.py":
            target = target.with_name(f"test_{domain.name}.py")
        files[target] = environment.get_template(relative.as_posix()).render(variables)
    return files


def with_list_item(source: str, variable: str, item: str) -> str:
    """`source` with `item` added at the end of the list assigned to `variable`."""
    for node in ast.parse(source).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == variable for t in node.targets)
            and isinstance(node.value, ast.List)
        ):
            # After the last element (a trailing comma stays after the new one), or
            # just inside the brackets of an empty list.
            last = node.value.elts[-1] if node.value.elts else None
            line, column = (
                (last.end_lineno, last.end_col_offset)
                if last
                else (node.value.lineno, node.value.col_offset + 1)
            )
            assert line is not None
            assert column is not None
            lines = source.splitlines(keepends=True)
            offset = sum(len(text) for text in lines[: line - 1]) + column
            return source[:offset] + (", " if last else "") + item + source[offset:]
    raise RuntimeError(f"no `{variable} = [...]` found to register the new domain in")


def with_import(source: str, statement: str) -> str:
    """`source` with `statement` after its last top-level import (ruff sorts them)."""
    imports = [n for n in ast.parse(source).body if isinstance(n, ast.Import | ast.ImportFrom)]
    lines = source.splitlines(keepends=True)
    end = imports[-1].end_lineno if imports else 0
    assert end is not None
    return "".join([*lines[:end], statement + "\n", *lines[end:]])


def registered(domain: Domain) -> dict[Path, str]:
    """core/models.py and core/main.py, with the domain's models and router added."""
    models = with_import(
        MODELS_MODULE.read_text(), f"from storefront.{domain.name}.models import {domain.model}"
    )
    models = with_list_item(models, "__all__", f'"{domain.model}"')
    app = with_import(
        APP_MODULE.read_text(),
        f"from storefront.{domain.name}.router import router as {domain.name}_router",
    )
    app = with_list_item(app, "DOMAIN_ROUTERS", f"{domain.name}_router")
    return {MODELS_MODULE: models, APP_MODULE: app}


def run(*command: str) -> None:
    subprocess.run(command, cwd=REPO_ROOT, check=True)


def generate(domain: Domain) -> list[Path]:
    """Write and register the domain and its migration; the paths written or changed."""
    new_files = rendered_files(domain)
    changed_files = registered(domain)
    migrations = REPO_ROOT / "migrations"
    migrations_before = set(migrations.iterdir())
    originals = {path: path.read_text() for path in [*changed_files, migrations / "atlas.sum"]}
    try:
        for path, text in (new_files | changed_files).items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        python_files = [str(path) for path in [*new_files, *changed_files]]
        # Formatted first, so the lint sees the lines as they will be; the lint's fixes
        # (import order) formatted again.
        run(sys.executable, "-m", "ruff", "format", "--quiet", *python_files)
        run(sys.executable, "-m", "ruff", "check", "--fix", "--quiet", *python_files)
        run(sys.executable, "-m", "ruff", "format", "--quiet", *python_files)
        run(sys.executable, "scripts/atlas.py", "migrate", "diff", f"add_{domain.name}")
    except BaseException:
        for directory in {path.parent for path in new_files}:
            shutil.rmtree(directory, ignore_errors=True)
        for path in set(migrations.iterdir()) - migrations_before:
            path.unlink()
        for path, text in originals.items():
            path.write_text(text)
        raise
    added_migrations = sorted(set(migrations.iterdir()) - migrations_before)
    return [*new_files, *changed_files, *added_migrations, migrations / "atlas.sum"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="the domain, plural and snake_case: reviews, gift_cards")
    parser.add_argument("--singular", help="the singular, if not the name without its 's'")
    arguments = parser.parse_args(argv)
    domain = Domain(arguments.name, arguments.singular or singular_of(arguments.name))
    try:
        check_domain(domain)
    except BadNameError as error:
        sys.exit(f"new-domain: {error} Nothing was written.")
    written = generate(domain)
    print(f"Added the {domain.name} domain:")
    for path in written:
        print(f"  {path.relative_to(REPO_ROOT)}")
    print(
        f"Its routes are under /api/v1/{domain.name.replace('_', '-')} (see /docs). Apply the"
        " migration to your database with `uv run task migrate-up` (`task run` does at start)."
    )


if __name__ == "__main__":
    main()
