import os
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpi import setup  # noqa: E402
from kpi.measures import COUNTS  # noqa: E402
from kpi.store import Store  # noqa: E402


def count_rows(rows: list[dict]) -> pd.DataFrame:
    """Count rows as a file would give them: every count not named is NULL."""
    frame = pd.DataFrame(rows)
    for column in COUNTS:
        if column not in frame:
            frame[column] = pd.NA
    return frame[["unit", "year", "month", *COUNTS]].astype({c: "Int64" for c in COUNTS})


@pytest.fixture
def store(tmp_path) -> Store:
    """A new database with the shipped plan and no counts."""
    s = Store(tmp_path / "kpi.duckdb", lock_timeout=5)
    setup.initialise(s)
    return s


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    setup.initialise(Store(path), with_demo=True)
    return path


@pytest.fixture
def demo_env(demo_db, monkeypatch) -> Path:
    monkeypatch.setenv("KPI_DB", str(demo_db))
    return demo_db


@pytest.fixture
def cli_env(tmp_path) -> dict:
    """Environment for running `python -m kpi` in a subprocess on a temporary database."""
    env = dict(os.environ, KPI_DB=str(tmp_path / "cli.duckdb"), PYTHONPATH=str(ROOT))
    return env
