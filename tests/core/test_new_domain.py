"""`task new-domain`: a bad name is refused with nothing written; a good one leaves a
slice that passes lint, typecheck, migrate-lint and the whole suite untouched."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from scripts import new_domain
from tests.conftest import REPO_ROOT


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for folder in ("src", "tests", "migrations")
        for path in sorted((root / folder).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (["Reviews"], "not a snake_case identifier"),
        (["2reviews"], "not a snake_case identifier"),
        (["re-views"], "not a snake_case identifier"),
        (["reviews_"], "not a snake_case identifier"),
        (["gift__cards"], "not a snake_case identifier"),
        (["class"], "is a Python keyword"),
        (["match"], "is a Python keyword"),
        (["reviews", "--singular", "lambda"], "is a Python keyword"),
        (["r" * 41], "longer than 40 characters"),
        (["catalog"], "storefront.catalog exists already"),
        (["cli"], "storefront.cli exists already"),
        (["products"], "A table named 'products' exists already"),
        (["goods", "--singular", "product"], "A model named Product exists already"),
        (["ords", "--singular", "ord"], "The id prefix 'ord' is taken"),
        (["json"], "would shadow a module the app imports"),
        (["fastapi"], "would shadow a module the app imports"),
        (["tests"], "would shadow a module the app imports"),
    ],
)
def test_a_bad_name_is_refused_and_nothing_is_written(arguments: list[str], reason: str) -> None:
    before = tree(REPO_ROOT)

    with pytest.raises(SystemExit) as refused:
        new_domain.main(arguments)

    assert reason in str(refused.value.code)
    assert str(refused.value.code).endswith("Nothing was written.")
    assert tree(REPO_ROOT) == before


def test_names_become_models_prefixes_and_urls() -> None:
    domain = new_domain.Domain("gift_cards", new_domain.singular_of("gift_cards"))

    assert domain.template_variables() == {
        "name": "gift_cards",
        "singular": "gift_card",
        "model": "GiftCard",
        "prefix": "gift_card",
        "url": "gift-cards",
        "human": "gift card",
        "human_plural": "gift cards",
        "human_title": "Gift Card",
        "title": "Gift cards",
    }
    plurals = ("categories", "boxes", "addresses", "stock")
    assert [new_domain.singular_of(name) for name in plurals] == [
        "category",
        "box",
        "address",
        "stock",
    ]


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """The repository's files (committed or not, ignored ones aside) in a directory of
    their own, run with this environment's tools but its own code and database."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    copy = tmp_path / "storefront"
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    return copy


@pytest.mark.slow
def test_a_generated_domain_passes_every_check_with_no_edit(
    repo_copy: Path, tmp_path: Path
) -> None:
    report = tmp_path / "suite.xml"
    # The copy's code comes first; its own embedded PostgreSQL serves it, never the
    # server (or TEST_DATABASE_URL) this run uses.
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "TEST_DATABASE_URL"} and not name.startswith("PYTEST")
    }
    env |= {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}",
        "PYTHONPATH": str(repo_copy / "src"),
    }

    def task(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["task", *arguments],
            cwd=repo_copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    generated = task("new-domain", "--", "reviews")
    try:
        checks = {name: task(name) for name in ("lint", "typecheck", "migrate-lint")}
        checks["test"] = task("test", "--", f"--junitxml={report}")
        paths = subprocess.run(
            [
                sys.executable,
                "-c",
                "import json; from storefront.core.main import create_app;"
                " print(json.dumps(list(create_app().openapi()['paths'])))",
            ],
            cwd=repo_copy,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        task("db-stop")

    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert (repo_copy / "src/storefront/reviews/router.py").is_file()
    assert list((repo_copy / "migrations").glob("*_add_reviews.sql"))
    for name, result in checks.items():
        assert result.returncode == 0, f"task {name}:\n{result.stdout}\n{result.stderr}"
    suite = ElementTree.parse(report)  # noqa: S314 - the report pytest just wrote
    ran = {case.get("classname") for case in suite.iter("testcase")}
    assert "tests.reviews.test_reviews" in ran
    documented = json.loads(paths.stdout.splitlines()[-1])
    assert {"/api/v1/reviews", "/api/v1/reviews/{review_id}"} <= set(documented)
