"""The DuckDB store: the only module that speaks SQL.

Every operation opens the file, does its work and closes it, so that the app and the CLI can
share one file: DuckDB lets a second process in only while nobody holds the file. An
operation that finds the file busy retries for a few seconds, then says so in Vietnamese.
"""
from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd

from kpi import measures
from kpi.measures import COUNTS

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_DIR / "data" / "kpi.duckdb"
LOCK_TIMEOUT = 10.0  # seconds; KPI_LOCK_TIMEOUT overrides
DEMO_LABEL = "Dữ liệu mẫu"

_COUNT_COLUMNS = ",\n    ".join(f"{c} BIGINT CHECK ({c} >= 0)" for c in COUNTS)

# Forward migrations: version -> statements. Never edit a released step; add the next one.
MIGRATIONS: dict[int, list[str]] = {
    1: [
        "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
        "CREATE SEQUENCE unit_ids START 1",
        """CREATE TABLE units (
            unit_id INTEGER PRIMARY KEY DEFAULT nextval('unit_ids'),
            name VARCHAR NOT NULL UNIQUE,
            group_name VARCHAR NOT NULL,
            position INTEGER NOT NULL)""",
        """CREATE TABLE unit_aliases (
            alias VARCHAR PRIMARY KEY,
            unit_id INTEGER NOT NULL)""",
        "CREATE SEQUENCE plan_ids START 1",
        """CREATE TABLE plans (
            plan_id INTEGER PRIMARY KEY DEFAULT nextval('plan_ids'),
            name VARCHAR NOT NULL UNIQUE,
            year INTEGER NOT NULL,
            area VARCHAR NOT NULL,
            source VARCHAR)""",
        """CREATE TABLE targets (
            plan_id INTEGER NOT NULL REFERENCES plans (plan_id),
            kpi VARCHAR NOT NULL,
            level VARCHAR NOT NULL CHECK (level IN ('unit', 'group', 'area')),
            subject VARCHAR NOT NULL,
            comparator VARCHAR NOT NULL CHECK (comparator IN ('gt', 'ge')),
            threshold DECIMAL(7, 3) NOT NULL,
            wording VARCHAR NOT NULL,
            PRIMARY KEY (plan_id, kpi, level, subject))""",
        "CREATE SEQUENCE import_ids START 1",
        """CREATE TABLE imports (
            import_id INTEGER PRIMARY KEY DEFAULT nextval('import_ids'),
            kind VARCHAR NOT NULL CHECK (kind IN ('file', 'demo')),
            file_name VARCHAR NOT NULL,
            sha256 VARCHAR,
            imported_by VARCHAR,
            imported_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            rows INTEGER NOT NULL)""",
        # No foreign keys to units and imports: DuckDB refuses to rename a referenced unit or to
        # delete a referenced row even after its children in the same transaction. The store,
        # the only writer, checks them instead.
        f"""CREATE TABLE monthly_counts (
            unit_id INTEGER NOT NULL,
            year SMALLINT NOT NULL,
            month TINYINT NOT NULL CHECK (month BETWEEN 1 AND 12),
            {_COUNT_COLUMNS},
            import_id INTEGER NOT NULL,
            PRIMARY KEY (unit_id, year, month))""",
    ],
    2: [
        # the import history: which month, how many units, and whether it was undone
        "ALTER TABLE imports ADD COLUMN period VARCHAR",
        "ALTER TABLE imports ADD COLUMN units INTEGER",
        "ALTER TABLE imports ADD COLUMN replaced INTEGER",
        "ALTER TABLE imports ADD COLUMN undone_at TIMESTAMP",
        # counts an import replaced, kept so that undoing it restores them
        f"""CREATE TABLE replaced_counts (
            replaced_by INTEGER NOT NULL,
            unit_id INTEGER NOT NULL,
            year SMALLINT NOT NULL,
            month TINYINT NOT NULL,
            {_COUNT_COLUMNS},
            import_id INTEGER NOT NULL,
            PRIMARY KEY (replaced_by, unit_id, year, month))""",
    ],
}
SCHEMA_VERSION = max(MIGRATIONS)


class StoreError(RuntimeError):
    """A store problem with a message for the user, in Vietnamese."""


class StoreBusy(StoreError):
    pass


def default_path() -> Path:
    return Path(os.environ.get("KPI_DB") or DEFAULT_DB)


def _is_lock_error(error: Exception) -> bool:
    text = str(error)
    return "lock" in text.lower() or "different configuration" in text


class Store:
    def __init__(self, path: str | os.PathLike | None = None, lock_timeout: float | None = None):
        self.path = Path(path) if path else default_path()
        self.lock_timeout = float(lock_timeout if lock_timeout is not None
                                  else os.environ.get("KPI_LOCK_TIMEOUT", LOCK_TIMEOUT))

    # -- connections -------------------------------------------------------------------
    @contextmanager
    def _connect(self, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        if not write and not self.path.exists():
            raise StoreError(f"Chưa có cơ sở dữ liệu {self.path}. Hãy chạy: python -m kpi init --demo")
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.02
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=not write)
                break
            except (duckdb.IOException, duckdb.ConnectionException) as error:
                if not _is_lock_error(error):
                    raise StoreError(f"Không mở được cơ sở dữ liệu {self.path}: {error}") from error
                if time.monotonic() >= deadline:
                    holder = re.search(r"PID (\d+)", str(error))
                    who = f" (tiến trình PID {holder.group(1)})" if holder else ""
                    raise StoreBusy(
                        f"Cơ sở dữ liệu {self.path} đang được một tiến trình khác sử dụng{who}. "
                        f"Đã chờ {self.lock_timeout:g} giây; hãy thử lại sau giây lát."
                    ) from error
                time.sleep(delay)
                delay = min(delay * 2, 0.25)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One explicit transaction: everything inside is written, or nothing is."""
        with self._connect(write=True) as con:
            con.begin()
            try:
                yield con
            except BaseException:
                con.rollback()
                raise
            con.commit()

    @contextmanager
    def reading(self) -> Iterator["Store"]:
        """Several reads on one connection (opening the file costs more than a small query).
        A Store is then not to be shared between threads until the block ends."""
        with self._connect(write=False) as con:
            self._reader = con
            try:
                yield self
            finally:
                self._reader = None

    def query(self, sql: str, params: list | tuple = ()) -> pd.DataFrame:
        if getattr(self, "_reader", None) is not None:
            return self._reader.execute(sql, list(params)).df()
        with self._connect(write=False) as con:
            return con.execute(sql, list(params)).df()

    # -- schema ------------------------------------------------------------------------
    def schema_version(self) -> int:
        if not self.path.exists():
            return 0
        with self._connect(write=False) as con:
            return _version(con)

    def migrate(self) -> int:
        """Create the file if needed and apply the pending migrations, each in one transaction."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.transaction() as con:
            current = _version(con)
            if current > SCHEMA_VERSION:
                raise StoreError(f"Cơ sở dữ liệu có phiên bản {current}, mới hơn phần mềm ({SCHEMA_VERSION}).")
            for version in sorted(v for v in MIGRATIONS if v > current):
                for statement in MIGRATIONS[version]:
                    con.execute(statement)
                con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version)])
            return SCHEMA_VERSION

    def version(self) -> tuple:
        """Changes whenever the file does (any process's write): a cache key for query results."""
        return tuple((p.stat().st_mtime_ns, p.stat().st_size) if p.exists() else None
                     for p in (self.path, self.path.with_name(self.path.name + ".wal")))

    # -- reads -------------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        frame = self.query("SELECT key, value FROM meta")
        return dict(zip(frame["key"], frame["value"]))

    def settings(self) -> dict[str, str]:
        """The denominator variant chosen per KPI ('setting.online' -> {'online': 'new'})."""
        return {k.removeprefix("setting."): v for k, v in self.meta().items() if k.startswith("setting.")}

    def units(self) -> pd.DataFrame:
        return self.query(
            "SELECT unit_id, name AS unit, group_name AS \"group\", position FROM units ORDER BY position, unit_id")

    def plans(self) -> pd.DataFrame:
        return self.query("SELECT plan_id, name, year, area, source FROM plans ORDER BY year DESC, plan_id DESC")

    def targets(self, plan_id: int) -> pd.DataFrame:
        return self.query(
            "SELECT kpi, level, subject, comparator, threshold, wording FROM targets WHERE plan_id = ? "
            "ORDER BY level, subject, kpi", [plan_id])

    def months(self) -> list[tuple[int, int]]:
        """The months that have counts, oldest first."""
        frame = self.query("SELECT DISTINCT year, month FROM monthly_counts ORDER BY year, month")
        return [(int(y), int(m)) for y, m in zip(frame["year"], frame["month"])]

    def monthly_counts(self, months: list[tuple[int, int]]) -> pd.DataFrame:
        """Count rows of the given months: [unit_id, year, month, *COUNTS], NULL kept as NA."""
        keys = [y * 100 + m for y, m in months]
        frame = self.query(
            f"SELECT unit_id, year, month, {', '.join(COUNTS)} FROM monthly_counts "
            "WHERE year::INTEGER * 100 + month IN (SELECT unnest(?::INTEGER[])) ORDER BY unit_id, year, month", [keys])
        return frame.astype({c: "Int64" for c in COUNTS})

    def has_demo_data(self) -> bool:
        frame = self.query(
            "SELECT count(*) AS n FROM monthly_counts JOIN imports USING (import_id) WHERE kind = 'demo'")
        return bool(frame["n"].iloc[0])

    def imports(self) -> pd.DataFrame:
        """The import history, newest first."""
        return self.query(
            "SELECT import_id, kind, file_name, sha256, imported_by, imported_at, period, units, rows, replaced, "
            "undone_at FROM imports ORDER BY import_id DESC")

    def active_import_of(self, sha256: str) -> pd.Series | None:
        """The import, not undone, of a file with these bytes."""
        found = self.query("SELECT * FROM imports WHERE sha256 = ? AND undone_at IS NULL ORDER BY import_id", [sha256])
        return None if found.empty else found.iloc[0]

    def aliases(self) -> pd.DataFrame:
        return self.query("SELECT a.alias, u.name AS unit FROM unit_aliases a JOIN units u USING (unit_id)")

    def stored_months(self, units: list[str], year: int, month: int) -> list[str]:
        """Which of these units already have counts for the month."""
        found = self.query(
            "SELECT u.name FROM monthly_counts c JOIN units u USING (unit_id) WHERE c.year = ? AND c.month = ? "
            "AND u.name IN (SELECT unnest(?::VARCHAR[])) ORDER BY u.position", [year, month, units])
        return found["name"].tolist()

    # -- writes ------------------------------------------------------------------------
    def save_plan(self, plan: dict, targets: pd.DataFrame) -> int:
        """Store a plan, its units and its targets; a plan of the same name is replaced.

        plan: name, year, area, source, units (DataFrame [unit, group]).
        targets: [kpi, level, subject, comparator, threshold, wording].
        """
        with self.transaction() as con:
            _add_units(con, plan["units"])
            con.execute("INSERT OR REPLACE INTO meta VALUES ('area', ?)", [plan["area"]])
            found = con.execute("SELECT plan_id FROM plans WHERE name = ?", [plan["name"]]).fetchall()
            if found:
                plan_id = found[0][0]
                con.execute("DELETE FROM targets WHERE plan_id = ?", [plan_id])
                con.execute("UPDATE plans SET year = ?, area = ?, source = ? WHERE plan_id = ?",
                            [plan["year"], plan["area"], plan.get("source"), plan_id])
            else:
                plan_id = _scalar(
                    con, "INSERT INTO plans (name, year, area, source) VALUES (?, ?, ?, ?) RETURNING plan_id",
                    [plan["name"], plan["year"], plan["area"], plan.get("source")])
            con.register("incoming", targets.assign(plan_id=plan_id))
            con.execute("INSERT INTO targets SELECT plan_id, kpi, level, subject, comparator, threshold, wording "
                        "FROM incoming")
            return plan_id

    def import_counts(self, counts: pd.DataFrame, *, file_name: str, sha256: str | None = None,
                      imported_by: str | None = None, replace: bool = False, new_units: pd.DataFrame | None = None,
                      aliases: dict[str, str] | None = None) -> dict:
        """Store a file's counts ([unit, year, month, *COUNTS], NA for a count not given) as one
        import, in one transaction: all of it, or nothing.

        new_units ([unit, group]) are added first; aliases (key -> unit) are remembered. Counts
        already stored for a unit and month are refused unless `replace`, and then kept so that
        undoing this import restores them. Sample data is removed by the first real import.
        Returns import_id, rows, units, replaced, sample_removed.
        """
        with self.transaction() as con:
            if sha256 is not None:
                earlier = con.execute("SELECT import_id, imported_at FROM imports WHERE sha256 = ? "
                                      "AND undone_at IS NULL", [sha256]).fetchall()
                if earlier:
                    raise StoreError(f"Tệp {file_name} đã được nhập (lần nhập số {earlier[0][0]}, "
                                     f"{earlier[0][1]:%d/%m/%Y %H:%M}); không nhập lại.")
            sample = _scalar(con, "SELECT count(*) FROM monthly_counts JOIN imports USING (import_id) "
                                  "WHERE kind = 'demo'")
            if sample:
                con.execute("DELETE FROM monthly_counts WHERE import_id IN (SELECT import_id FROM imports "
                            "WHERE kind = 'demo')")
                con.execute("UPDATE imports SET undone_at = current_timestamp WHERE kind = 'demo' "
                            "AND undone_at IS NULL")
            if new_units is not None and len(new_units):
                _add_units(con, new_units)
            for alias, unit in (aliases or {}).items():
                con.execute("INSERT OR REPLACE INTO unit_aliases SELECT ?, unit_id FROM units WHERE name = ?",
                            [alias, unit])
            periods = sorted(f"{y}-{m:02d}" for y, m in counts[["year", "month"]].drop_duplicates().itertuples(False))
            units = counts["unit"].nunique()
            import_id = _scalar(
                con, "INSERT INTO imports (kind, file_name, sha256, imported_by, rows, period, units) "
                     "VALUES ('file', ?, ?, ?, ?, ?, ?) RETURNING import_id",
                [file_name, sha256, imported_by, len(counts), ", ".join(periods), units])
            con.register("incoming", counts)
            stored = con.execute(
                "SELECT u.name, i.year, i.month FROM incoming i JOIN units u ON u.name = i.unit "
                "JOIN monthly_counts c ON c.unit_id = u.unit_id AND c.year = i.year AND c.month = i.month "
                "ORDER BY 2, 3, u.position").fetchall()
            if stored and not replace:
                raise StoreError("Đã có số liệu của: " + "; ".join(f"{n} tháng {m}/{y}" for n, y, m in stored[:10])
                                 + ("…" if len(stored) > 10 else "") + ". Chọn «thay thế» (--replace) để ghi đè.")
            if stored:
                keys = ("(SELECT u.unit_id, i.year, i.month FROM incoming i JOIN units u ON u.name = i.unit)")
                con.execute(f"INSERT INTO replaced_counts SELECT ?, c.* FROM monthly_counts c "
                            f"WHERE (c.unit_id, c.year, c.month) IN {keys}", [import_id])
                con.execute(f"DELETE FROM monthly_counts WHERE (unit_id, year, month) IN {keys}")
                con.execute("UPDATE imports SET replaced = ? WHERE import_id = ?", [len(stored), import_id])
            con.unregister("incoming")
            _insert_counts(con, counts, import_id)
            return {"import_id": import_id, "rows": len(counts), "units": units,
                    "replaced": len(stored), "sample_removed": bool(sample)}

    def undo_import(self, import_id: int) -> dict:
        """Take an import back: its counts go, the counts it replaced come back."""
        with self.transaction() as con:
            found = con.execute("SELECT kind, undone_at, file_name FROM imports WHERE import_id = ?",
                                [import_id]).fetchall()
            if not found:
                raise StoreError(f"Không có lần nhập số {import_id}.")
            kind, undone_at, file_name = found[0]
            if kind != "file":
                raise StoreError(f"Lần nhập số {import_id} là dữ liệu mẫu, không hoàn tác được.")
            if undone_at is not None:
                raise StoreError(f"Lần nhập số {import_id} ({file_name}) đã được hoàn tác lúc {undone_at:%d/%m/%Y %H:%M}.")
            later = con.execute(
                "SELECT DISTINCT r.replaced_by FROM replaced_counts r JOIN imports i ON i.import_id = r.replaced_by "
                "WHERE r.import_id = ? AND i.undone_at IS NULL ORDER BY 1", [import_id]).fetchall()
            if later:
                raise StoreError(f"Số liệu của lần nhập số {import_id} đã bị lần nhập số "
                                 f"{', '.join(str(x) for (x,) in later)} thay thế; hãy hoàn tác lần đó trước.")
            removed = _scalar(con, "SELECT count(*) FROM monthly_counts WHERE import_id = ?", [import_id])
            con.execute("DELETE FROM monthly_counts WHERE import_id = ?", [import_id])
            columns = ", ".join(["unit_id", "year", "month", *COUNTS, "import_id"])
            restored = _scalar(con, "SELECT count(*) FROM replaced_counts WHERE replaced_by = ?", [import_id])
            con.execute(f"INSERT INTO monthly_counts ({columns}) SELECT {columns} FROM replaced_counts "
                        "WHERE replaced_by = ?", [import_id])
            con.execute("DELETE FROM replaced_counts WHERE replaced_by = ?", [import_id])
            con.execute("UPDATE imports SET undone_at = current_timestamp WHERE import_id = ?", [import_id])
            return {"removed": removed, "restored": restored, "file_name": file_name}

    def set_setting(self, kpi: str, variant: str) -> None:
        """Choose the denominator variant of a KPI (measures.CATALOGUE lists them)."""
        choices = measures.get(kpi).variants
        if variant not in choices:
            raise StoreError(f"Chỉ tiêu {kpi} không có cách tính {variant!r}; chọn một trong: {', '.join(choices)}")
        with self.transaction() as con:
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [f"setting.{kpi}", variant])

    def replace_demo_counts(self, counts: pd.DataFrame) -> int:
        """Replace all sample counts with `counts`; refused when real imported data is present,
        which sample data must never mix with."""
        with self.transaction() as con:
            if _scalar(con, "SELECT count(*) FROM monthly_counts JOIN imports USING (import_id) WHERE kind = 'file'"):
                raise StoreError("Cơ sở dữ liệu đã có số liệu nhập từ tệp; không ghi dữ liệu mẫu vào đó.")
            con.execute("DELETE FROM monthly_counts")
            con.execute("DELETE FROM imports WHERE kind = 'demo'")
            import_id = _scalar(
                con, "INSERT INTO imports (kind, file_name, imported_by, rows) VALUES ('demo', ?, 'kpi init --demo', ?) "
                "RETURNING import_id", [DEMO_LABEL, len(counts)])
            _insert_counts(con, counts, import_id)
            return import_id


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """The single value of a query, reading the result to its end (DuckDB 2 wants that)."""
    return con.execute(sql, params or []).fetchall()[0][0]


def _version(con: duckdb.DuckDBPyConnection) -> int:
    exists = _scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'")
    if not exists:
        return 0
    rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    return int(rows[0][0]) if rows else 0


def _add_units(con: duckdb.DuckDBPyConnection, units: pd.DataFrame) -> None:
    """Add the units not yet known, after the known ones, in the order given."""
    known = {name for (name,) in con.execute("SELECT name FROM units").fetchall()}
    start = _scalar(con, "SELECT coalesce(max(position), 0) FROM units")
    fresh = units[~units["unit"].isin(known)].reset_index(drop=True)
    con.register("fresh", fresh.assign(position=range(start + 1, start + 1 + len(fresh))))
    con.execute('INSERT INTO units (name, group_name, position) SELECT unit, "group", position FROM fresh')


def _insert_counts(con: duckdb.DuckDBPyConnection, counts: pd.DataFrame, import_id: int) -> None:
    """Insert count rows named by unit; every unit must already exist."""
    con.register("incoming", counts.assign(import_id=import_id))
    missing = con.execute(
        "SELECT DISTINCT unit FROM incoming WHERE unit NOT IN (SELECT name FROM units) ORDER BY 1").fetchall()
    if missing:
        raise StoreError("Đơn vị chưa có trong danh sách: " + ", ".join(m for (m,) in missing))
    columns = ", ".join(COUNTS)
    con.execute(
        f"INSERT INTO monthly_counts (unit_id, year, month, {columns}, import_id) "
        f"SELECT u.unit_id, i.year, i.month, {', '.join('i.' + c for c in COUNTS)}, i.import_id "
        "FROM incoming i JOIN units u ON u.name = i.unit")
