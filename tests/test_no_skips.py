from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_suite(folder: Path, source: str) -> subprocess.CompletedProcess:
    (folder / "test_inner.py").write_text(source)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:django",
            "-p",
            "tests.no_skips",
            "-q",
            "-c",
            os.devnull,
            "--rootdir",
            str(folder),
            str(folder),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "source",
    [
        "import pytest\n\n@pytest.mark.skip(reason='later')\ndef test_a():\n    pass\n",
        "import pytest\n\ndef test_a():\n    pytest.skip('no database')\n",
        "import pytest\n\n@pytest.mark.xfail\ndef test_a():\n    assert False\n",
    ],
    ids=["skip-marker", "skip-call", "xfail"],
)
def test_a_skipped_or_xfailed_test_fails_the_run(tmp_path: Path, source: str) -> None:
    result = run_suite(tmp_path, source)
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout
    assert "this suite allows none" in result.stdout


def test_a_passing_suite_still_passes(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "def test_a():\n    assert True\n")
    assert result.returncode == 0, result.stdout
