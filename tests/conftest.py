import json
import os
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
# real exports from public systems; CI clones the project with shared/ beside it
REALDATA = Path(os.environ.get("KPI_SHARED") or ROOT.parent / "shared") / "realdata"
sys.path.insert(0, str(ROOT))

from kpi import plan, setup  # noqa: E402
from kpi.measures import COUNTS  # noqa: E402
from kpi.service import Service, console  # noqa: E402
from kpi.store import Store, default_path  # noqa: E402

USERS = {"admin": "quantri", "uploader": "nhaplieu", "viewer": "nguoixem"}
PASSWORD = "mat-khau-thu-nghiem"  # test accounts only


def user(path, role: str) -> str:
    """A user with this role in the database at `path` (its administrator first, as the app asks)."""
    door = Service(path, console())
    existing = door.users()["name"].tolist()
    for needed in dict.fromkeys(["admin", role]):
        if USERS[needed] not in existing:
            door.add_user(USERS[needed], needed, PASSWORD)
    return USERS[role]


@pytest.fixture(autouse=True)
def pages_raise(monkeypatch):
    """In tests, a page that fails raises (AppTest's at.exception), instead of the Vietnamese sentence the
    app shows users in its place: a green test never hides a broken page."""
    from views import ui

    def raise_it(error):
        raise error

    monkeypatch.setattr(ui, "failed", raise_it)


def app_test(role: str | None = "admin", **params):
    """The app in AppTest on the database of KPI_DB, logged in with this role (None: not logged in),
    with these URL parameters, after its first run."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    if role and default_path().exists():
        at.session_state["user"] = user(default_path(), role)
    return at.run()


def figures(at) -> list[str]:
    """The figures a page shows: the login form's hidden elements (which only have the browser load the
    figures' code meanwhile) show none."""
    return [m.value for m in at.metric if m.label != "·"]


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
    setup.initialise(s, plan.SHIPPED_PLAN)
    return s


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    setup.initialise(Store(path), sample="district")
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


def table(at, column: str, nth: int = 0) -> pd.DataFrame:
    """The nth dataframe on the page that has `column` (AppTest finds dataframes by position only), as people
    read it: a column of coloured labels (a verdict on its colour) holds the words its labels show."""
    found = [d for d in at.dataframe if column in d.value.columns]
    assert len(found) > nth, f"no table with column {column!r}"
    shown = found[nth].value
    for name, config in (json.loads(found[nth].proto.columns) if found[nth].proto.columns else {}).items():
        if config.get("type_config", {}).get("type") == "multiselect":
            words = {o["value"]: o.get("label", o["value"]) for o in config["type_config"]["options"]}
            shown[name] = [", ".join(words[v] for v in values) for values in shown[name]]
    return shown


@pytest.fixture
def served(monkeypatch) -> dict:
    """The bytes each download button serves. AppTest's media storage lives only during a run, so
    what a page stores is recorded as it is stored; a file made on click (a callable) is recorded
    as its callable, which `download` calls as a click would."""
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    files: dict[str, object] = {}
    store_file, defer = MemoryMediaFileStorage.load_and_get_id, MediaFileManager.add_deferred

    def record(self, path_or_data, mimetype, kind, filename=None):
        file_id = store_file(self, path_or_data, mimetype, kind, filename)
        files[file_id] = path_or_data if isinstance(path_or_data, bytes) else bytes(path_or_data, "utf-8")
        return file_id

    def record_deferred(self, data_callable, *args, **kwargs):
        file_id = defer(self, data_callable, *args, **kwargs)
        files[file_id] = data_callable
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    monkeypatch.setattr(MediaFileManager, "add_deferred", record_deferred)
    return files


def download(at, label: str, served: dict) -> bytes:
    """What clicking the download button labelled `label` gives the user."""
    button = next(b for b in at.get("download_button") if b.proto.label == label)
    if button.proto.HasField("deferred_file_id"):
        data = served[button.proto.deferred_file_id]()
    else:
        data = served[button.proto.url.rsplit("/", 1)[-1].split(".")[0]]
    return data if isinstance(data, bytes) else data.encode("utf-8")
