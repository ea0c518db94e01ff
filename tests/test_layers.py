"""The layers hold (pyproject.toml [tool.importlinter]), and a break of them is caught."""
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

LINT = [str(Path(sys.executable).with_name("lint-imports"))]


def test_the_import_contracts_are_kept():
    done = subprocess.run(LINT, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 3 kept, 0 broken." in done.stdout


def test_a_page_opening_the_store_breaks_them(tmp_path):
    for part in ("kpi", "views", "pyproject.toml"):
        (shutil.copytree if (ROOT / part).is_dir() else shutil.copy)(ROOT / part, tmp_path / part)
    (tmp_path / "views" / "sneaky.py").write_text("from kpi.store import Store\nimport duckdb\n", encoding="utf-8")
    (tmp_path / "kpi" / "sneaky.py").write_text("import streamlit\n", encoding="utf-8")
    done = subprocess.run(LINT, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1
    assert "Contracts: 0 kept, 3 broken." in done.stdout
    assert "views.sneaky -> kpi.store" in done.stdout and "kpi.sneaky -> streamlit" in done.stdout
