"""The layer rule bites: `lint-imports`, with the project's own contracts, fails a copy of the
code in which `archive` imports `annotations` (and passes the same copy without that import)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ["kaynak", "archive", "annotations", "search", "web"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.fixture
def code_copy(tmp_path: Path) -> Path:
    """The apps' Python files and the project's import-linter contracts, in a folder of their
    own (only the sources: import-linter reads, it does not import)."""
    for app in APPS:
        shutil.copytree(
            ROOT / app,
            tmp_path / app,
            ignore=lambda folder, names: [
                name
                for name in names
                if not name.endswith(".py") and not (Path(folder) / name).is_dir()
            ],
        )
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    lines = ["[importlinter]\nroot_packages =\n    " + "\n    ".join(contracts["root_packages"])]
    for number, contract in enumerate(contracts["contracts"]):
        lines.append(f"\n[importlinter:contract:{number}]")
        for key, value in contract.items():
            if isinstance(value, list):
                lines.append(f"{key} =\n    " + "\n    ".join(value))
            else:
                lines.append(f"{key} = {value}")
    (tmp_path / ".importlinter").write_text("\n".join(lines) + "\n")
    return tmp_path


def lint_imports(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(folder)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_lint_imports_fails_when_archive_imports_annotations(code_copy: Path) -> None:
    clean = lint_imports(code_copy)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    (code_copy / "archive" / "upward.py").write_text(
        "from annotations.models import Annotation\n\nMODEL = Annotation\n"
    )
    broken = lint_imports(code_copy)
    assert broken.returncode != 0
    assert "BROKEN" in broken.stdout
    assert "archive.upward -> annotations.models" in broken.stdout
