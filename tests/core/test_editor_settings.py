"""The editor settings in the repo agree with the checks CI runs."""

import configparser
import json
import tomllib
from pathlib import Path


def test_vscode_uses_the_projects_environment_ruff_mypy_and_pytest(repo_root: Path) -> None:
    settings = json.loads((repo_root / ".vscode/settings.json").read_text())
    extensions = json.loads((repo_root / ".vscode/extensions.json").read_text())

    assert settings["python.defaultInterpreterPath"] == "${workspaceFolder}/.venv/bin/python"
    assert settings["[python]"]["editor.defaultFormatter"] == "charliermarsh.ruff"
    # The locked ruff and mypy, not whatever version the extensions bundle.
    assert settings["ruff.importStrategy"] == "fromEnvironment"
    assert settings["mypy-type-checker.importStrategy"] == "fromEnvironment"
    assert settings["python.testing.pytestEnabled"] is True
    # One process, so breakpoints hold; pyproject.toml's addopts give the rest.
    assert settings["python.testing.pytestArgs"] == ["tests", "-n", "0"]
    assert {"charliermarsh.ruff", "ms-python.mypy-type-checker"} <= set(
        extensions["recommendations"]
    )


def test_editorconfig_wraps_python_where_ruff_does(repo_root: Path) -> None:
    editorconfig = configparser.ConfigParser()
    # Its preamble (`root = true`) has no section header; INI needs one.
    editorconfig.read_string("[preamble]\n" + (repo_root / ".editorconfig").read_text())
    ruff = tomllib.loads((repo_root / "pyproject.toml").read_text())["tool"]["ruff"]

    assert editorconfig["*.py"].getint("max_line_length") == ruff["line-length"]
    assert editorconfig["*.py.jinja"].getint("max_line_length") == ruff["line-length"]
    assert editorconfig["*"]["end_of_line"] == "lf"
