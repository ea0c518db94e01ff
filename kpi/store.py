"""The DuckDB store: the only module that speaks SQL.

Every operation opens the file, does its work and closes it, so that the app and the CLI can
share one file: DuckDB lets a second process in only while nobody holds the file. Readers and
writers take turns (lock files beside the database); writers queue first come, first served, and
a writer kept waiting says so while it waits. A wait beyond its limit is said in Vietnamese.
"""
from __future__ import annotations

import copy
import errno
import fcntl
import functools
import os
import re
import threading
import time
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

import duckdb
import numpy as np
import pandas as pd

from kpi import measures, sums, text
from kpi.measures import COUNTS
from kpi.roster import month_text

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_DIR / "data" / "kpi.duckdb"
LOCK_TIMEOUT = 30.0  # seconds a read waits, at most (a write in progress); KPI_LOCK_TIMEOUT overrides
WRITE_WAIT = 600.0  # seconds a write waits for its turn, at most; KPI_WRITE_WAIT overrides
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
    3: [
        # units over time: from a month, retired or merged into another from a month (YYYYMM), and the
        # import that added them (undoing it removes them)
        "ALTER TABLE units ADD COLUMN since INTEGER",
        "ALTER TABLE units ADD COLUMN until INTEGER",
        "ALTER TABLE units ADD COLUMN successor INTEGER",
        "ALTER TABLE units ADD COLUMN added_by INTEGER",
        "ALTER TABLE unit_aliases ADD COLUMN added_by INTEGER",  # the import whose name matching saved it
        "ALTER TABLE unit_aliases ADD COLUMN written VARCHAR",  # the name as a file or a person wrote it
        # plans by year: the units each targets, in its groups and order, and its KPI definitions
        "ALTER TABLE plans ADD COLUMN document VARCHAR",
        """CREATE TABLE plan_units (
            plan_id INTEGER NOT NULL,
            unit_id INTEGER NOT NULL,
            group_name VARCHAR NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (plan_id, unit_id))""",
        """CREATE TABLE plan_definitions (
            plan_id INTEGER NOT NULL,
            kpi VARCHAR NOT NULL,
            variant VARCHAR NOT NULL,
            PRIMARY KEY (plan_id, kpi))""",
        # a v2 database held one area and its plans targeted all of its units; its one switch of
        # definitions becomes each plan's
        "INSERT INTO plan_units SELECT p.plan_id, u.unit_id, u.group_name, u.position FROM plans p CROSS JOIN units u",
        "INSERT INTO plan_definitions SELECT p.plan_id, substr(m.key, 9), m.value FROM plans p CROSS JOIN meta m "
        "WHERE m.key LIKE 'setting.%'",
        "DELETE FROM meta WHERE key LIKE 'setting.%'",
        # targets without the foreign key to plans: DuckDB refuses to delete or update a referenced
        # plan even after its targets in the same transaction
        """CREATE TABLE plan_targets (
            plan_id INTEGER NOT NULL,
            kpi VARCHAR NOT NULL,
            level VARCHAR NOT NULL CHECK (level IN ('unit', 'group', 'area')),
            subject VARCHAR NOT NULL,
            comparator VARCHAR NOT NULL CHECK (comparator IN ('gt', 'ge')),
            threshold DECIMAL(7, 3) NOT NULL CHECK (threshold BETWEEN 0 AND 100),
            wording VARCHAR NOT NULL,
            PRIMARY KEY (plan_id, kpi, level, subject))""",
        "INSERT INTO plan_targets SELECT * FROM targets",
        "DROP TABLE targets",
    ],
    4: [
        # people who may use the app: a role and an argon2id hash (NULL for single sign-on only);
        # failed logins in a row and the last one's time, to slow guessing down
        """CREATE TABLE users (
            name VARCHAR PRIMARY KEY,
            role VARCHAR NOT NULL CHECK (role IN ('viewer', 'uploader', 'admin')),
            password_hash VARCHAR CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%'),
            disabled BOOLEAN NOT NULL DEFAULT false,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            failed INTEGER NOT NULL DEFAULT 0,
            failed_at TIMESTAMP)""",
        # who changed what, when: every write and every login, with the state before and after (JSON)
        "CREATE SEQUENCE audit_ids START 1",
        """CREATE TABLE audit (
            audit_id INTEGER PRIMARY KEY DEFAULT nextval('audit_ids'),
            logged_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            actor VARCHAR,
            role VARCHAR,
            client VARCHAR,
            action VARCHAR NOT NULL,
            subject VARCHAR,
            before VARCHAR,
            after VARCHAR)""",
    ],
    5: [
        # the reporting window a file's title gives (a month may run from the 21st to the 20th)
        "ALTER TABLE imports ADD COLUMN window_start DATE",
        "ALTER TABLE imports ADD COLUMN window_end DATE",
        # a unit's month by field (lĩnh vực), from a Biểu 06 by field: its rows are live while the unit's
        # month in monthly_counts comes from the same import (a replacement or an undo needs no copy)
        f"""CREATE TABLE field_counts (
            unit_id INTEGER NOT NULL,
            year SMALLINT NOT NULL,
            month TINYINT NOT NULL CHECK (month BETWEEN 1 AND 12),
            field VARCHAR NOT NULL,
            position SMALLINT NOT NULL,  -- the field's row in its file
            {_COUNT_COLUMNS},
            import_id INTEGER NOT NULL,
            PRIMARY KEY (unit_id, year, month, field, import_id))""",
    ],
}
SCHEMA_VERSION = max(MIGRATIONS)


class StoreError(RuntimeError):
    """A store problem with a message for the user, in Vietnamese."""


class StoreBusy(StoreError):
    pass


_WAITING = threading.local()  # per thread: whom to tell while its write waits for its turn


@contextmanager
def waiting_shown(report) -> Iterator[None]:
    """While this thread's writes wait for their turn, `report(ahead, seconds)` is called about every
    second: the writes queued before it, and the seconds waited so far."""
    before = getattr(_WAITING, "report", None)
    _WAITING.report = report
    try:
        yield
    finally:
        _WAITING.report = before


# why the file system refused, in Vietnamese
_REFUSALS = {errno.EROFS: "ổ đĩa chỉ cho phép đọc", errno.EACCES: "tài khoản chạy ứng dụng không có quyền ghi",
             errno.EPERM: "tài khoản chạy ứng dụng không có quyền ghi", errno.ENOSPC: "ổ đĩa đã đầy",
             errno.EDQUOT: "đã hết hạn mức dung lượng ổ đĩa", errno.ENOENT: "không có thư mục này"}


def _os_reason(error: OSError) -> str:
    return _REFUSALS.get(error.errno, error.strerror or str(error))


def _unwritable(path: Path, error: OSError) -> StoreError:
    return StoreError(f"Không ghi được vào cơ sở dữ liệu {path}: {_os_reason(error)} ({error.filename}).")


def _duckdb_said(path: Path, error: Exception) -> str:
    """A DuckDB error in Vietnamese where the disk refused (DuckDB quotes the system's own words); else its
    own first line."""
    text = str(error)
    why = next((ours for code, ours in _REFUSALS.items() if code != errno.ENOENT and os.strerror(code) in text), None)
    if why:
        return f"Không ghi được vào cơ sở dữ liệu {path}: {why}; chưa có gì được ghi. Hãy giải phóng hoặc sửa ổ đĩa rồi thử lại."
    return f"Lỗi cơ sở dữ liệu {path}: {text.splitlines()[0]}"


@contextmanager
def _ticket(path: Path, deadline: float, busy) -> Iterator[None]:
    """First come, first served among the writers of every process and thread: each holds a ticket (a file
    named by the time it came, locked while its writer lives) and goes when no earlier ticket is left.
    A dead writer's ticket is unlocked, so the next one sweeps it away."""
    folder = Path(f"{path}.writers")
    try:
        if not folder.exists():
            folder.mkdir(exist_ok=True)
            os.chmod(folder, 0o1777)  # the app's account and the CLI's may differ, as for the lock files
        dispenser = os.open(folder / ".dispenser", os.O_RDONLY | os.O_CREAT, 0o666)
    except OSError as error:
        raise _unwritable(path, error) from error
    fd = None
    try:
        fcntl.flock(dispenser, fcntl.LOCK_EX)  # one ticket at a time: numbered and shown in the order they came
        try:
            last = max((int(t.split("-")[0]) for t in os.listdir(folder) if t[:1].isdigit()), default=0)
            name = f"{max(time.time_ns(), last + 1):020d}-{os.getpid()}-{threading.get_ident()}"
            draft, ticket = folder / f".{name}", folder / name
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT, 0o666)
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.rename(draft, ticket)  # seen by the others only once locked
        except OSError as error:
            raise _unwritable(path, error) from error
        finally:
            os.close(dispenser)
        started, told, report = time.monotonic(), 0.0, getattr(_WAITING, "report", None)
        while ahead := [t for t in sorted(os.listdir(folder)) if not t.startswith(".") and t < name
                        and _alive(folder / t)]:
            waited = time.monotonic() - started
            if report and waited - told >= 1:
                report(len(ahead), waited)
                told = waited
            if time.monotonic() >= deadline:
                raise busy()
            time.sleep(0.02)
        yield
    finally:
        if fd is not None:
            for left in (ticket, draft):
                with suppress(OSError):
                    os.unlink(left)
            os.close(fd)


def _alive(ticket: Path) -> bool:
    """Whether a ticket's writer still lives (holds its lock); a dead one's ticket is removed."""
    try:
        fd = os.open(ticket, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    with suppress(OSError):
        ticket.unlink()
    return False


_WRITE_LOCKS: dict[str, threading.RLock] = {}
_LOCKS_GUARD = threading.Lock()
_HELD = threading.local()  # per thread: the connection its reading() or transaction() holds, by file


def _write_lock(key: str) -> threading.RLock:
    """One writer at a time per file within this process: the app's sessions share DuckDB's instance,
    where two transactions could each pass a check (one plan a year) before the other commits."""
    with _LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, threading.RLock())


def _held(key: str) -> SimpleNamespace:
    """What this thread holds open on the file: shared by every Store of that file, so that a read inside
    another Store's transaction uses it instead of waiting for itself."""
    files = _HELD.__dict__.setdefault("files", {})
    return files.setdefault(key, SimpleNamespace(con=None, writing=False, reading=None))


_KEPT: dict[str, tuple[tuple, dict]] = {}  # file -> (its data version, {(read, arguments): result})
DATA_STAMP, ACCOUNTS_STAMP = ".version", ".accounts"  # beside the database: renewed by each write of either kind
_KEPT_FILES = 8


def _per_version(read=None, *, shared: bool = False, accounts: bool = False):
    """A read every scorecard makes (the units, the plan, its targets, every stored count), kept until the data
    changes: the version stamp is renewed by every data write, any process's; a read of `accounts`, until any
    write (logins and account changes stamp a file of their own). Inside a write, read afresh. Each caller gets
    a copy of its own, but for a `shared` result, which is read-only."""
    if read is None:
        return functools.partial(_per_version, shared=shared, accounts=accounts)

    @functools.wraps(read)
    def kept(self: "Store", *args):
        version = self.version()
        if self._local.writing or version[0] is None:
            return read(self, *args)
        file = self._key
        if accounts:
            stamp = self._stamp(ACCOUNTS_STAMP)
            if stamp is None:  # never stamped, or unreadable: read afresh, as without a data stamp
                return read(self, *args)
            file, version = self._accounts_key, (*version, stamp)
        with _LOCKS_GUARD:
            if _KEPT.get(file, ((),))[0] != version:
                _KEPT.pop(file, None)
                while len(_KEPT) >= _KEPT_FILES:
                    _KEPT.pop(next(iter(_KEPT)))
                _KEPT[file] = (version, {})
            memo = _KEPT[file][1]
            key = (read.__name__, repr(args))
            making = memo.setdefault(("making", key), threading.Lock())
        # one thread reads, any other asking meanwhile waits for it (the cube is large), as long as a read may wait;
        # one inside reading() never does: a writer may be waiting for it to leave, and the thread reading for the
        # writer. A read not kept waits its own turn.
        if making.acquire(timeout=self.lock_timeout) if not self.holds_file() else making.acquire(blocking=False):
            try:
                if key not in memo:
                    memo[key] = read(self, *args)
            finally:
                making.release()
        found = memo[key] if key in memo else read(self, *args)
        return found if shared else found.copy() if isinstance(found, pd.DataFrame) else copy.deepcopy(found)
    return kept


@contextmanager
def _turn(path: Path, write: bool, deadline: float, busy) -> Iterator[None]:
    """Take turns at the file across processes and threads, with three lock files beside it.
    - A reader passes an open gate into the room, which readers share, and stays there while it reads;
      finding the gate closed, it waits in the queue (shared) until the gate opens.
    - A writer lets readers already queued go first, then closes the gate (new readers queue behind it),
      waits for the readers in the room to leave, and writes alone.
    So readers never starve a writer, and writers never starve readers: each waits at most for the
    other side's turn in progress."""
    fds = []
    try:
        gate, queue, room = (_lock_file(path, name, fds) for name in ("gate", "queue", "room"))
        if write:
            while True:
                _lock(queue, fcntl.LOCK_EX, deadline, busy)  # no reader is waiting for the gate
                fcntl.flock(queue, fcntl.LOCK_UN)
                try:
                    fcntl.flock(gate, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:  # another writer's turn: wait behind it, readers first again
                    _pause(deadline, busy)
            _lock(room, fcntl.LOCK_EX, deadline, busy)
        else:
            try:
                fcntl.flock(gate, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:  # a writer's turn: queue, so the next writer lets us in first
                fcntl.flock(queue, fcntl.LOCK_SH)
                _lock(gate, fcntl.LOCK_SH, deadline, busy)
            _lock(room, fcntl.LOCK_SH, deadline, busy)
            fcntl.flock(gate, fcntl.LOCK_UN)
            fcntl.flock(queue, fcntl.LOCK_UN)
        yield
    finally:
        for fd in fds:
            os.close(fd)  # closing releases the locks


def _lock_file(path: Path, name: str, fds: list[int]) -> int:
    try:  # read-only is enough for flock, and lets an account that may only read the database read it
        fd = os.open(f"{path}.{name}.lock", os.O_RDONLY | os.O_CREAT, 0o666)
    except OSError as error:
        raise StoreError(f"Không mở được cơ sở dữ liệu {path}: {_os_reason(error)} ({error.filename}).") from error
    fds.append(fd)
    return fd


def _lock(fd: int, mode: int, deadline: float, busy) -> None:
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            _pause(deadline, busy)


def _pause(deadline: float, busy) -> None:
    if time.monotonic() >= deadline:
        raise busy()
    time.sleep(0.003)


def default_path() -> Path:
    return Path(os.environ.get("KPI_DB") or DEFAULT_DB)


def _is_lock_error(error: Exception) -> bool:
    text = str(error)
    return "lock" in text.lower() or "different configuration" in text


class Store:
    def __init__(self, path: str | os.PathLike | None = None, lock_timeout: float | None = None,
                 write_wait: float | None = None):
        self.path = Path(path) if path else default_path()
        self.lock_timeout = float(lock_timeout if lock_timeout is not None
                                  else os.environ.get("KPI_LOCK_TIMEOUT", LOCK_TIMEOUT))
        self.write_wait = float(write_wait if write_wait is not None else os.environ.get("KPI_WRITE_WAIT", WRITE_WAIT))
        self._key = str(self.path.resolve())

    @property
    def _local(self) -> SimpleNamespace:
        return _held(self._key)

    # -- connections -------------------------------------------------------------------
    @contextmanager
    def _connect(self, write: bool, deadline: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._turn(write, deadline):
            with self._opened(write, deadline or time.monotonic() + self.lock_timeout) as con:
                yield con

    @contextmanager
    def _turn(self, write: bool, deadline: float | None = None) -> Iterator[None]:
        """This thread's turn at the file, as a reader or the writer (see _turn)."""
        if not write and not self.path.exists():
            raise StoreError(f"Chưa có cơ sở dữ liệu {self.path}. Hãy chạy: python -m kpi init --demo")
        limit = self.write_wait if write else self.lock_timeout
        deadline = deadline or time.monotonic() + limit

        def busy(who: str = "") -> StoreBusy:
            return self._busy(who, limit)

        with _turn(self.path, write, deadline, busy):
            yield

    @contextmanager
    def _opened(self, write: bool, deadline: float) -> Iterator[duckdb.DuckDBPyConnection]:
        """The file opened by DuckDB, within a turn taken already."""
        con = self._open(write, deadline)
        try:
            yield con
        except duckdb.Error as error:  # said in words, never as a traceback
            raise StoreError(_duckdb_said(self.path, error)) from error
        finally:
            con.close()

    def _open(self, write: bool, deadline: float) -> duckdb.DuckDBPyConnection:
        """DuckDB's own lock: a process that does not take turns (an older version, a DuckDB shell) may
        still hold the file; wait for it until the deadline."""
        delay = 0.02
        while True:
            try:
                # a writer on one thread: as fast for an import of 100.000 rows, 30 MB less at its peak
                return duckdb.connect(str(self.path), read_only=not write, config={"threads": 1} if write else {})
            except (duckdb.IOException, duckdb.ConnectionException) as error:
                if not _is_lock_error(error):
                    why = ("tệp không phải cơ sở dữ liệu của ứng dụng, hoặc đã hỏng" if "not a valid" in str(error)
                           else str(error).splitlines()[0])
                    raise StoreError(f"Không mở được cơ sở dữ liệu {self.path}: {why}. Hãy chép lại tệp từ bản sao lưu "
                                     "gần nhất, hoặc chỉ ứng dụng tới đúng tệp (biến KPI_DB, hay --db ở dòng lệnh), rồi "
                                     "tải lại trang.") from error
                if time.monotonic() >= deadline:
                    holder = re.search(r"PID (\d+)", str(error))
                    raise self._busy(f"tiến trình PID {holder.group(1)} đang giữ tệp" if holder else "") from error
                time.sleep(delay)
                delay = min(delay * 2, 0.25)

    def _busy(self, who: str = "", waited: float | None = None) -> StoreBusy:
        return StoreBusy(f"Cơ sở dữ liệu {self.path} đang bận: {who or 'một người khác đang ghi'}. "
                         f"Đã chờ {waited or self.lock_timeout:g} giây; hãy thử lại sau giây lát.")

    @contextmanager
    def transaction(self, data: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """One explicit transaction: everything inside is written, or nothing is. A transaction
        opened inside another (by this thread) is part of it, so several writes can be made one.
        `data`: whether it changes what the pages show (renewing their cached figures); logins and
        account changes do not, and renew the kept user records instead."""
        held = self._local
        if self.holds_file():
            if not held.writing:
                raise StoreError("Không ghi được trong lúc đang đọc.")  # a programming error, said plainly
            yield held.con
            return
        deadline = time.monotonic() + self.write_wait

        def busy(who: str = "") -> StoreBusy:
            return self._busy(who, self.write_wait)

        lock = _write_lock(self._key)
        with _ticket(self.path, deadline, busy):  # every process's writers, in the order they came
            if not lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise busy()
            try:
                with self._connect(write=True, deadline=deadline) as con:
                    con.begin()
                    held.con, held.writing = con, True
                    try:
                        yield con
                    except BaseException:
                        con.rollback()
                        raise
                    finally:
                        held.con, held.writing = None, False
                    con.commit()
                self._renew(DATA_STAMP if data else ACCOUNTS_STAMP)
            finally:
                lock.release()

    def _renew(self, suffix: str) -> None:
        """A new version stamp, whole (written aside, then put in place): no reader sees it empty."""
        stamp = self.path.with_name(self.path.name + suffix)
        draft = stamp.with_name(f"{stamp.name}.{os.getpid()}-{threading.get_ident()}")
        try:
            draft.write_text(str(time.time_ns()), encoding="ascii")
            os.replace(draft, stamp)
        except OSError as error:
            # no process may keep what it read before this write: without a stamp, every read is fresh
            with suppress(OSError):
                draft.unlink()
            with suppress(OSError):
                stamp.unlink()
            with _LOCKS_GUARD:
                _KEPT.pop(self._key, None)
                _KEPT.pop(self._accounts_key, None)
            raise StoreError(f"Đã ghi vào cơ sở dữ liệu {self.path}, nhưng không đánh dấu được phiên bản mới: "
                             f"{_os_reason(error)}; các trang đang mở hãy tải lại.") from error

    @contextmanager
    def reading(self) -> Iterator["Store"]:
        """Several reads that see one version of the data: a reader's turn is held throughout, so no write comes
        in between. The file is opened by DuckDB only at the first read not kept already (often none: a
        scorecard's reads are), and then once (opening costs more than a small query). The connection is this
        thread's own; inside a transaction, the reads see its writes."""
        held = self._local
        if self.holds_file():
            yield self
            return
        with ExitStack() as opened:
            opened.enter_context(self._turn(write=False))
            held.reading = opened
            try:
                yield self
            finally:
                held.con, held.reading = None, None

    def _held_con(self) -> duckdb.DuckDBPyConnection | None:
        """This thread's connection to the file: of its transaction, or of its reading() (opened now if need be,
        within the turn that reading() holds)."""
        held = self._local
        if held.con is None and held.reading is not None:
            held.con = held.reading.enter_context(self._opened(False, time.monotonic() + self.lock_timeout))
        return held.con

    def query(self, sql: str, params: list | tuple = ()) -> pd.DataFrame:
        current = self._held_con()
        if current is not None:
            return current.execute(sql, list(params)).df()
        with self._connect(write=False) as con:
            return con.execute(sql, list(params)).df()

    # -- schema ------------------------------------------------------------------------
    def schema_version(self) -> int:
        if not self.path.exists():
            return 0
        current = self._held_con()
        if current is not None:
            return _version(current)
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

    @staticmethod
    def later(version: tuple, seen: tuple) -> bool:
        """Whether a version (Store.version) comes after one seen before: another file, or a later stamp."""
        def stamp(v: tuple) -> int:
            return int(v[0]) if str(v[0]).isdigit() else 0
        return version[1] != seen[1] or stamp(version) > stamp(seen)

    def version(self) -> tuple:
        """Changes whenever the figures may have: any process's data write stamps a file beside the
        database (logins and account changes do not), and a new database is another file. A cache key
        for what pages show."""
        stamp = self._stamp(DATA_STAMP)
        try:
            return stamp, self.path.stat().st_ino
        except OSError:
            return None, None

    @property
    def _accounts_key(self) -> str:
        """Where the reads kept until any write (of accounts too) are kept, beside the file's own in _KEPT."""
        return f"{self._key}|accounts"

    def holds_file(self) -> bool:
        """Whether this thread is inside a transaction or reading() of this file (another thread's read would
        wait for it)."""
        return self._local.con is not None or self._local.reading is not None

    def _stamp(self, suffix: str) -> str | None:
        with suppress(OSError):
            return self.path.with_name(self.path.name + suffix).read_text(encoding="ascii")
        return None

    # -- reads -------------------------------------------------------------------------
    @_per_version
    def meta(self) -> dict[str, str]:
        frame = self.query("SELECT key, value FROM meta")
        return dict(zip(frame["key"], frame["value"]))

    def area(self) -> dict[str, str | None]:
        """The area this database holds: its name ("Tỉnh Gia Lai") and level (plan.LEVELS), or None."""
        meta = self.meta()
        return {"name": meta.get("area"), "level": meta.get("area_level")}

    @_per_version
    def units(self) -> pd.DataFrame:
        """Every unit the area has had: unit_id, unit, group, position, since, until (YYYYMM or NA),
        successor (the unit_id it was merged into), added_by (the import that added it)."""
        return self.query(
            'SELECT unit_id, name AS unit, group_name AS "group", position, since, until, successor, added_by '
            "FROM units ORDER BY position, unit_id").astype(
            {"since": "Int64", "until": "Int64", "successor": "Int64", "added_by": "Int64"})

    @_per_version
    def plans(self) -> pd.DataFrame:
        """Every plan, newest year first, with the number of units and targets it holds."""
        return self.query(
            "SELECT p.plan_id, p.name, p.year, p.area, p.document, p.source, "
            "(SELECT count(*) FROM plan_units u WHERE u.plan_id = p.plan_id) AS units, "
            "(SELECT count(*) FROM plan_targets t WHERE t.plan_id = p.plan_id) AS targets "
            "FROM plans p ORDER BY p.year DESC")

    @_per_version
    def plan_of_year(self, year: int) -> dict | None:
        """The plan that judges the year's periods, or None."""
        found = self.query("SELECT plan_id, name, year, area, document, source FROM plans WHERE year = ?", [year])
        return None if found.empty else found.astype(object).where(found.notna(), None).iloc[0].to_dict()

    @_per_version
    def roster(self, plan_id: int) -> pd.DataFrame:
        """The units a plan targets: unit_id, unit, group, position (the plan's order)."""
        return self.query(
            'SELECT r.unit_id, u.name AS unit, r.group_name AS "group", r.position FROM plan_units r '
            "JOIN units u USING (unit_id) WHERE r.plan_id = ? ORDER BY r.position", [plan_id])

    @_per_version
    def targets(self, plan_id: int) -> pd.DataFrame:
        return self.query(
            "SELECT kpi, level, subject, comparator, threshold, wording FROM plan_targets WHERE plan_id = ? "
            "ORDER BY level, subject, kpi", [plan_id])

    @_per_version
    def definitions(self, plan_id: int) -> dict[str, str]:
        """kpi -> the denominator variant the plan sets (KPIs it leaves out use the catalogue's default)."""
        frame = self.query("SELECT kpi, variant FROM plan_definitions WHERE plan_id = ?", [plan_id])
        return dict(zip(frame["kpi"], frame["variant"]))

    @_per_version
    def definitions_by_year(self) -> dict[int, dict[str, str]]:
        """year -> its plan's definitions, for month-by-month figures across years."""
        frame = self.query("SELECT p.year, d.kpi, d.variant FROM plans p JOIN plan_definitions d USING (plan_id)")
        out: dict[int, dict[str, str]] = {int(y): {} for y in self.query("SELECT year FROM plans")["year"]}
        for year, kpi, variant in zip(frame["year"], frame["kpi"], frame["variant"]):
            out[int(year)][kpi] = variant
        return out

    @_per_version
    def months(self) -> list[tuple[int, int]]:
        """The months that have counts, oldest first."""
        frame = self.query("SELECT DISTINCT year, month FROM monthly_counts ORDER BY year, month")
        return [(int(y), int(m)) for y, m in zip(frame["year"], frame["month"])]

    def monthly_counts(self, months: list[tuple[int, int]], unit_ids: list[int] | None = None) -> pd.DataFrame:
        """Count rows of the given months (of these units alone, when given): [unit_id, year, month, *COUNTS],
        NULL kept as NA."""
        keys = [y * 100 + m for y, m in months]
        only = "" if unit_ids is None else " AND unit_id IN (SELECT unnest(?::INTEGER[]))"
        frame = self.query(
            f"SELECT unit_id, year, month, {', '.join(COUNTS)} FROM monthly_counts "
            f"WHERE year::INTEGER * 100 + month IN (SELECT unnest(?::INTEGER[])){only} ORDER BY unit_id, year, month",
            [keys] if unit_ids is None else [keys, [int(u) for u in unit_ids]])
        return frame.astype({c: "Int64" for c in COUNTS})

    def period_sums(self, months: list[tuple[int, int]], ratios: dict[str, measures.Ratio],
                    merged: dict[int, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """A period's counts summed, for a scorecard. Rows of a unit merged into another (`merged`: unit_id ->
        successor) are first added to the successor's of the same month; then a unit-month counts towards a
        ratio only when its numerator and denominator are both known.

        Returns (by unit, by month). Each has for each ratio name `name|n` and `name|d` (NA when no unit-month
        gave them) and for each count `has|count` (the unit-months giving it); by unit has unit_id (the units
        with a row in the months), by month year, month (the months with a row) and `name|k` (the units with the
        ratio known)."""
        return sums.period(self.counts_cube(), months, ratios, merged)

    def month_sums(self, months: list[tuple[int, int]], ratios: dict[str, measures.Ratio]) -> pd.DataFrame:
        """The area's months as `period_sums` gives them by month, alone."""
        return sums.period(self.counts_cube(), months, ratios, {})[1]

    @_per_version(shared=True)
    def counts_cube(self) -> sums.Cube:
        """Every stored unit-month's counts, held once per data version: each period's sums are taken from it."""
        with self.reading():
            months = np.array([y * 100 + m for y, m in self.months()], dtype=np.int64)
            con = self._held_con()
            units = np.array([row[0] for row in con.execute("SELECT DISTINCT unit_id FROM monthly_counts ORDER BY 1")
                              .fetchall()], dtype=np.int64)
            biggest = con.execute(f"SELECT greatest({', '.join(f'max({c})' for c in COUNTS)}) FROM monthly_counts")
            rows = con.sql(f"SELECT unit_id, year, month, {', '.join(COUNTS)} FROM monthly_counts")
            return sums.Cube.of(months, units, int(biggest.fetchall()[0][0] or 0), rows.to_arrow_reader(50_000))

    @_per_version
    def has_demo_data(self) -> bool:
        frame = self.query(
            "SELECT count(*) AS n FROM monthly_counts JOIN imports USING (import_id) WHERE kind = 'demo'")
        return bool(frame["n"].iloc[0])

    def imports(self) -> pd.DataFrame:
        """The import history, newest first."""
        return self.query(
            "SELECT import_id, kind, file_name, sha256, imported_by, imported_at, period, units, rows, replaced, "
            "undone_at, window_start, window_end FROM imports ORDER BY import_id DESC")

    def active_import_of(self, sha256: str) -> pd.Series | None:
        """The import, not undone, of a file with these bytes."""
        found = self.query("SELECT * FROM imports WHERE sha256 = ? AND undone_at IS NULL ORDER BY import_id", [sha256])
        return None if found.empty else found.iloc[0]

    @_per_version
    def windows(self, months: list[tuple[int, int]]) -> pd.DataFrame:
        """The reporting windows of the imports whose counts the months hold: year, month, window_start,
        window_end (a month that runs from the 21st to the 20th)."""
        return self.query(
            "SELECT DISTINCT c.year, c.month, i.window_start, i.window_end FROM monthly_counts c "
            "JOIN imports i USING (import_id) WHERE i.window_start IS NOT NULL "
            "AND c.year::INTEGER * 100 + c.month IN (SELECT unnest(?::INTEGER[])) ORDER BY ALL",
            [[y * 100 + m for y, m in months]])

    def field_counts(self, unit: str, months: list[tuple[int, int]]) -> pd.DataFrame:
        """A unit's counts by field (lĩnh vực) in the months, as stored by its current imports:
        field, year, month, *COUNTS, in the file's order."""
        return self.query(
            f"SELECT f.field, f.year, f.month, {', '.join('f.' + c for c in COUNTS)} FROM field_counts f "
            "JOIN monthly_counts c USING (unit_id, year, month, import_id) JOIN units u USING (unit_id) "
            "WHERE u.name = ? AND f.year::INTEGER * 100 + f.month IN (SELECT unnest(?::INTEGER[])) "
            "ORDER BY f.year, f.month, f.position",
            [unit, [y * 100 + m for y, m in months]])

    @_per_version
    def aliases(self) -> pd.DataFrame:
        """Other names of units: alias (the key names are matched by), unit, written (as it was written)."""
        return self.query("SELECT a.alias, u.name AS unit, coalesce(a.written, a.alias) AS written "
                          "FROM unit_aliases a JOIN units u USING (unit_id) ORDER BY u.position, a.alias")

    def stored_months(self, units: list[str], year: int, month: int) -> list[str]:
        """Which of these units already have counts for the month."""
        found = self.query(
            "SELECT u.name FROM monthly_counts c JOIN units u USING (unit_id) WHERE c.year = ? AND c.month = ? "
            "AND u.name IN (SELECT unnest(?::VARCHAR[])) ORDER BY u.position", [year, month, units])
        return found["name"].tolist()

    # -- writes ------------------------------------------------------------------------
    def set_area(self, name: str, level: str | None) -> None:
        """Name the area this database holds, and its level; its plans take the new name."""
        _check_name(name)
        with self.transaction() as con:
            old = con.execute("SELECT value FROM meta WHERE key = 'area'").fetchall()
            if old and old[0][0] != name:
                con.execute("UPDATE plans SET area = ? WHERE area = ?", [name, old[0][0]])
                con.execute("UPDATE plan_targets SET subject = ? WHERE level = 'area' AND subject = ?",
                            [name, old[0][0]])
            con.execute("INSERT OR REPLACE INTO meta VALUES ('area', ?)", [name])
            if level:
                con.execute("INSERT OR REPLACE INTO meta VALUES ('area_level', ?)", [level])

    def save_plan(self, plan, replace: bool = False) -> int:
        """Store a plan (kpi.plan.Plan, its units already in the database's names): its units (those
        not known are added), its roster, targets and definitions, in one transaction. A year has one
        plan: another plan of the same year is refused unless `replace`. The newest plan sets each of
        its units' current group."""
        with self.transaction() as con:
            if not _scalar(con, "SELECT count(*) FROM meta WHERE key = 'area'"):
                con.execute("INSERT INTO meta VALUES ('area', ?)", [plan.area])
            same_year = con.execute("SELECT plan_id, name FROM plans WHERE year = ?", [plan.year]).fetchall()
            if same_year and not replace:
                raise StoreError(f"Đã có kế hoạch năm {plan.year} («{same_year[0][1]}»). Nếu kế hoạch mới thay cho kế "
                                 f"hoạch đó, chọn thay thế (trang «Chỉ tiêu», hoặc --replace của plan import, plan copy).")
            named = con.execute("SELECT year FROM plans WHERE name = ? AND year <> ?", [plan.name, plan.year]).fetchall()
            if named:
                raise StoreError(f"Tên «{plan.name}» đã là tên kế hoạch năm {named[0][0]}; hãy đặt tên khác.")
            _add_units(con, plan.units)
            newest = _scalar(con, "SELECT coalesce(max(year), 0) FROM plans")
            con.register("roster", plan.units.assign(position=range(1, len(plan.units) + 1)))
            if plan.year >= newest:
                con.execute('UPDATE units SET group_name = r."group" FROM roster r WHERE units.name = r.unit '
                            'AND units.group_name <> r."group"')
            if same_year:
                plan_id = same_year[0][0]
                for table in ("plan_targets", "plan_units", "plan_definitions"):
                    con.execute(f"DELETE FROM {table} WHERE plan_id = ?", [plan_id])
                con.execute("UPDATE plans SET name = ?, area = ?, document = ?, source = ? WHERE plan_id = ?",
                            [plan.name, plan.area, plan.document, plan.source, plan_id])
            else:
                plan_id = _scalar(con, "INSERT INTO plans (name, year, area, document, source) VALUES (?, ?, ?, ?, ?) "
                                       "RETURNING plan_id", [plan.name, plan.year, plan.area, plan.document, plan.source])
            con.execute('INSERT INTO plan_units SELECT ?, u.unit_id, r."group", r.position FROM roster r '
                        "JOIN units u ON u.name = r.unit", [plan_id])
            con.unregister("roster")
            _write_targets(con, plan_id, plan.targets)
            for kpi, variant in plan.definitions.items():
                con.execute("INSERT INTO plan_definitions VALUES (?, ?, ?)", [plan_id, kpi, variant])
            return plan_id

    def update_plan(self, plan_id: int, name: str, document: str | None, source: str | None) -> None:
        with self.transaction() as con:
            if con.execute("SELECT 1 FROM plans WHERE name = ? AND plan_id <> ?", [name, plan_id]).fetchall():
                raise StoreError(f"Tên «{name}» đã là tên một kế hoạch khác; hãy đặt tên khác.")
            con.execute("UPDATE plans SET name = ?, document = ?, source = ? WHERE plan_id = ?",
                        [name, document or None, source or None, plan_id])

    def set_targets(self, plan_id: int, targets: pd.DataFrame) -> None:
        """Replace a plan's targets ([kpi, level, subject, comparator, threshold, wording]) in one transaction;
        a unit given a target of its own that the plan did not list joins it."""
        with self.transaction() as con:
            con.execute("DELETE FROM plan_targets WHERE plan_id = ?", [plan_id])
            _write_targets(con, plan_id, targets)
            con.execute(
                "INSERT INTO plan_units SELECT ?, u.unit_id, u.group_name, "
                "(SELECT coalesce(max(position), 0) FROM plan_units WHERE plan_id = ?) + row_number() OVER (ORDER BY "
                "u.position) FROM units u WHERE u.name IN (SELECT subject FROM plan_targets WHERE plan_id = ? AND "
                "level = 'unit') AND u.unit_id NOT IN (SELECT unit_id FROM plan_units WHERE plan_id = ?)",
                [plan_id, plan_id, plan_id, plan_id])

    def set_definition(self, plan_id: int, kpi: str, variant: str) -> None:
        """Choose the denominator variant of a KPI for one plan (measures.CATALOGUE lists them)."""
        choices = measures.get(kpi).variants
        if variant not in choices:
            raise StoreError(f"Chỉ tiêu {kpi} không có cách tính {variant!r}; chọn một trong: {', '.join(choices)}")
        with self.transaction() as con:
            con.execute("DELETE FROM plan_definitions WHERE plan_id = ? AND kpi = ?", [plan_id, kpi])
            if variant != measures.get(kpi).default_variant:
                con.execute("INSERT INTO plan_definitions VALUES (?, ?, ?)", [plan_id, kpi, variant])

    def delete_plan(self, plan_id: int) -> None:
        """A plan and its targets go; units, counts and other plans stay."""
        with self.transaction() as con:
            for table in ("plan_targets", "plan_units", "plan_definitions", "plans"):
                con.execute(f"DELETE FROM {table} WHERE plan_id = ?", [plan_id])

    def start_over(self) -> None:
        """Empty a database that holds only sample data, for a committee to set up its own area.
        Refused once real files have been imported: those are never thrown away here."""
        with self.transaction() as con:
            if _scalar(con, "SELECT count(*) FROM imports WHERE kind = 'file' AND undone_at IS NULL"):
                raise StoreError("Cơ sở dữ liệu đã có số liệu nhập từ tệp; không xoá để thiết lập lại.")
            sample = _scalar(con, "SELECT count(*) FROM imports WHERE kind = 'demo'")  # set up from a sample
            area = con.execute("SELECT value FROM meta WHERE key = 'area'").fetchall()
            if area and not sample and _scalar(con, "SELECT (SELECT count(*) FROM plans) + (SELECT count(*) FROM units)"):
                raise StoreError(f"Cơ sở dữ liệu {self.path} đã được thiết lập cho «{area[0][0]}» (kế hoạch, đơn vị); "
                                 "không xoá để thay bằng dữ liệu khác. Hãy dùng một tệp cơ sở dữ liệu khác (--db).")
            for table in ("monthly_counts", "replaced_counts", "field_counts", "imports", "plan_targets", "plan_units",
                          "plan_definitions", "plans", "unit_aliases", "units"):
                con.execute(f"DELETE FROM {table}")
            con.execute("DELETE FROM meta WHERE key IN ('area', 'area_level')")

    # -- settings, users and the audit trail ----------------------------------------------------
    def set_setting(self, key: str, value: str) -> None:
        with self.transaction() as con:
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [f"option.{key}", value])

    def settings(self) -> dict[str, str]:
        """Options an admin set (kpi.service.SETTINGS names them and their defaults)."""
        return {k.removeprefix("option."): v for k, v in self.meta().items() if k.startswith("option.")}

    def users(self) -> pd.DataFrame:
        """name, role, disabled, created_at, has_password, failed (no hash ever leaves the store this way)."""
        return self.query("SELECT name, role, disabled, created_at, password_hash IS NOT NULL AS has_password, failed "
                          "FROM users ORDER BY name")

    @_per_version(accounts=True)
    def user(self, name: str) -> dict | None:
        """One user with their hash and failed logins in a row (kept until any write: a page asks once a run)."""
        found = self.query("SELECT name, role, password_hash, disabled, failed, failed_at FROM users WHERE name = ?",
                           [name])
        return None if found.empty else found.astype(object).where(found.notna(), None).iloc[0].to_dict()

    def add_user(self, name: str, role: str, password_hash: str | None) -> None:
        with self.transaction() as con:
            if con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchall():
                raise StoreError(f"Đã có người dùng «{name}».")
            con.execute("INSERT INTO users (name, role, password_hash) VALUES (?, ?, ?)", [name, role, password_hash])

    def update_user(self, name: str, **changes) -> None:
        """Set some of role, password_hash, disabled, failed, failed_at of a user."""
        allowed = {"role", "password_hash", "disabled", "failed", "failed_at"}
        assert changes and set(changes) <= allowed, changes  # column names are never user input
        with self.transaction() as con:
            if not con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchall():
                raise StoreError(f"Không có người dùng «{name}».")
            con.execute(f"UPDATE users SET {', '.join(f'{c} = ?' for c in changes)} WHERE name = ?",
                        [*changes.values(), name])

    def log(self, actor: str | None, role: str | None, client: str | None, action: str, subject: str | None,
            before: str | None, after: str | None) -> None:
        """One line of the audit trail; inside a write's transaction, it is kept only if the write is."""
        with self.transaction() as con:
            con.execute("INSERT INTO audit (actor, role, client, action, subject, before, after) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)", [actor, role, client, action, subject, before, after])

    def audit(self, since=None, until=None, actor: str | None = None, actions: list[str] | None = None,
              limit: int = 10_000) -> pd.DataFrame:
        """The audit trail, newest first: audit_id, logged_at, actor, role, client, action, subject, before, after."""
        where, params = ["1 = 1"], []
        for clause, value in (("logged_at >= ?", since), ("logged_at < ?", until), ("actor = ?", actor)):
            if value is not None:
                where.append(clause)
                params.append(value)
        if actions:
            where.append("action IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(actions))
        return self.query(f"SELECT * FROM audit WHERE {' AND '.join(where)} ORDER BY audit_id DESC LIMIT ?",
                          [*params, limit])

    def audit_actors(self) -> list[str]:
        return self.query("SELECT DISTINCT actor FROM audit WHERE actor IS NOT NULL ORDER BY actor")["actor"].tolist()

    # -- units over time -----------------------------------------------------------------
    def add_unit(self, name: str, group: str, since: int | None = None) -> None:
        """A new unit, from a month (YYYYMM) or from the start; the plans of that year on list it too."""
        with self.transaction() as con:
            if con.execute("SELECT 1 FROM units WHERE name = ?", [name]).fetchall():
                raise StoreError(f"Đã có đơn vị «{name}».")
            _add_units(con, pd.DataFrame({"unit": [name], "group": [group]}), since=since)
            _join_plans(con, name, group, since)

    def rename_unit(self, name: str, new_name: str, alias: str | None = None) -> None:
        """The unit keeps its counts and targets under its new name; `alias` (the old name's key)
        lets files that still write the old name find it."""
        _check_name(new_name)
        with self.transaction() as con:
            unit_id = _unit_id(con, name)
            if con.execute("SELECT 1 FROM units WHERE name = ?", [new_name]).fetchall():
                raise StoreError(f"Đã có đơn vị «{new_name}»; muốn gộp hai đơn vị thì dùng «gộp».")
            con.execute("UPDATE units SET name = ? WHERE unit_id = ?", [new_name, unit_id])
            con.execute("UPDATE plan_targets SET subject = ? WHERE level = 'unit' AND subject = ?", [new_name, name])
            if alias:
                con.execute("INSERT OR REPLACE INTO unit_aliases VALUES (?, ?, NULL, ?)", [alias, unit_id, name])

    def regroup_unit(self, name: str, group: str, from_year: int | None = None) -> int:
        """Move a unit to another group, in the plans of `from_year` and later (all when None).
        Returns how many plans changed."""
        _check_name(group)
        with self.transaction() as con:
            unit_id = _unit_id(con, name)
            con.execute("UPDATE units SET group_name = ? WHERE unit_id = ?", [group, unit_id])
            changed = con.execute("UPDATE plan_units SET group_name = ? WHERE unit_id = ? AND group_name <> ? AND "
                                  "plan_id IN (SELECT plan_id FROM plans WHERE year >= ?) RETURNING plan_id",
                                  [group, unit_id, group, from_year or 0]).fetchall()
            return len(changed)

    def retire_unit(self, name: str, since: int) -> None:
        """The unit exists no more from the month `since` (YYYYMM); its history stays."""
        with self.transaction() as con:
            unit_id = _unit_id(con, name)
            _check_no_counts_from(con, [unit_id], since, "thôi hoạt động")
            con.execute("UPDATE units SET until = ?, successor = NULL WHERE unit_id = ?", [since, unit_id])

    def merge_units(self, parts: list[str], into: str, since: int, group: str | None = None) -> bool:
        """Units `parts` become `into` from the month `since`: they are retired then, and their counts
        count as `into`'s wherever a later period is compared with an earlier one. `into` may be
        one of the area's units or a new one (then `group` is needed). Returns whether it is new."""
        with self.transaction() as con:
            ids = [_unit_id(con, p) for p in dict.fromkeys(parts)]
            found = con.execute("SELECT unit_id, until FROM units WHERE name = ?", [into]).fetchall()
            if found and found[0][0] in ids:
                raise StoreError(f"«{into}» vừa là đơn vị được gộp vừa là đơn vị sau khi gộp.")
            if found and found[0][1] is not None and found[0][1] <= since:
                raise StoreError(f"«{into}» đã thôi hoạt động từ tháng {month_text(found[0][1])}.")
            _check_no_counts_from(con, ids, since, "gộp")
            if not found:
                if not group:
                    raise StoreError(f"«{into}» là đơn vị mới: cần chọn nhóm của nó.")
                _add_units(con, pd.DataFrame({"unit": [into], "group": [group]}), since=since)
                _join_plans(con, into, group, since)
            into_id = _unit_id(con, into)
            con.execute("UPDATE units SET until = ?, successor = ? WHERE unit_id IN (SELECT unnest(?::INTEGER[]))",
                        [since, into_id, ids])
            return not found

    def restore_unit(self, name: str) -> None:
        """Undo a retirement or a merge: the unit exists again, with its own counts."""
        with self.transaction() as con:
            con.execute("UPDATE units SET until = NULL, successor = NULL WHERE unit_id = ?", [_unit_id(con, name)])

    def set_alias(self, alias: str, unit: str, written: str | None = None) -> None:
        """`alias` (a name's key; `written` as typed) means `unit` in the files imported from now on."""
        if written is not None:
            _check_name(written)
        with self.transaction() as con:
            kept = con.execute("SELECT written FROM unit_aliases WHERE alias = ?", [alias]).fetchall()
            con.execute("INSERT OR REPLACE INTO unit_aliases VALUES (?, ?, NULL, ?)",
                        [alias, _unit_id(con, unit), written or (kept[0][0] if kept else None)])

    def remove_alias(self, alias: str) -> bool:
        with self.transaction() as con:
            return bool(con.execute("DELETE FROM unit_aliases WHERE alias = ? RETURNING alias", [alias]).fetchall())

    def import_counts(self, counts: pd.DataFrame, *, file_name: str, sha256: str | None = None,
                      imported_by: str | None = None, replace: bool = False, new_units: pd.DataFrame | None = None,
                      aliases: dict[str, str] | None = None, alias_names: dict[str, str] | None = None,
                      window: tuple | None = None, fields: pd.DataFrame | None = None) -> dict:
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
                # real figures from now on: only people with an account see them (the sample was open to all)
                con.execute("INSERT OR REPLACE INTO meta VALUES ('option.login_required', 'true')")
            periods = sorted(f"{y}-{m:02d}" for y, m in counts[["year", "month"]].drop_duplicates().itertuples(False))
            units = counts["unit"].nunique()
            import_id = _scalar(
                con, "INSERT INTO imports (kind, file_name, sha256, imported_by, rows, period, units, window_start, "
                     "window_end) VALUES ('file', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING import_id",
                [file_name, sha256, imported_by, len(counts), ", ".join(periods), units, *(window or (None, None))])
            if new_units is not None and len(new_units):
                _add_units(con, new_units, added_by=import_id)
            for alias, unit in (aliases or {}).items():
                con.execute("INSERT OR REPLACE INTO unit_aliases SELECT ?, unit_id, ?, ? FROM units WHERE name = ?",
                            [alias, import_id, (alias_names or {}).get(alias), unit])
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
            if fields is not None and len(fields):  # [unit, year, month, field, *COUNTS]
                con.register("by_field", fields.assign(position=range(len(fields))))
                con.execute(f"INSERT INTO field_counts SELECT u.unit_id, f.year, f.month, f.field, f.position, "
                            f"{', '.join('f.' + c for c in COUNTS)}, ? FROM by_field f JOIN units u ON u.name = f.unit",
                            [import_id])
                con.unregister("by_field")
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
            con.execute("DELETE FROM field_counts WHERE import_id = ?", [import_id])
            columns = ", ".join(["unit_id", "year", "month", *COUNTS, "import_id"])
            restored = _scalar(con, "SELECT count(*) FROM replaced_counts WHERE replaced_by = ?", [import_id])
            con.execute(f"INSERT INTO monthly_counts ({columns}) SELECT {columns} FROM replaced_counts "
                        "WHERE replaced_by = ?", [import_id])
            con.execute("DELETE FROM replaced_counts WHERE replaced_by = ?", [import_id])
            con.execute("UPDATE imports SET undone_at = current_timestamp WHERE import_id = ?", [import_id])
            # the units this import added go too, unless something else now holds on to them
            added = con.execute(
                "SELECT unit_id, name FROM units u WHERE (added_by = ? OR added_by IN "
                "(SELECT import_id FROM imports WHERE undone_at IS NOT NULL)) "
                "AND NOT EXISTS (SELECT 1 FROM monthly_counts c WHERE c.unit_id = u.unit_id) "
                "AND NOT EXISTS (SELECT 1 FROM replaced_counts r WHERE r.unit_id = u.unit_id) "
                "AND NOT EXISTS (SELECT 1 FROM plan_units p WHERE p.unit_id = u.unit_id) "
                "AND NOT EXISTS (SELECT 1 FROM units s WHERE s.successor = u.unit_id) "
                "AND NOT EXISTS (SELECT 1 FROM plan_targets t WHERE t.level = 'unit' AND t.subject = u.name) "
                "ORDER BY position", [import_id]).fetchall()
            ids = [unit_id for unit_id, _ in added]
            con.execute("DELETE FROM unit_aliases WHERE added_by = ? OR unit_id IN (SELECT unnest(?::INTEGER[]))",
                        [import_id, ids])
            con.execute("DELETE FROM units WHERE unit_id IN (SELECT unnest(?::INTEGER[]))", [ids])
            return {"removed": removed, "restored": restored, "file_name": file_name,
                    "units_removed": [name for _, name in added]}

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


def _add_units(con: duckdb.DuckDBPyConnection, units: pd.DataFrame, since: int | None = None,
               added_by: int | None = None) -> None:
    """Add the units not yet known, after the known ones, in the order given. A name or group that would
    not show as written (text.name_problem) is refused: the store is the last door."""
    names = list(dict.fromkeys([*units["unit"].tolist(), *units["group"].tolist()]))
    if not all(isinstance(n, str) and n.strip() and len(n) <= text.MAX_NAME for n in names) \
            or text.HIDDEN.search("\u00a0".join(names)):  # one search for them all; the name at fault said below
        for name in names:
            _check_name(name)
    known = {name for (name,) in con.execute("SELECT name FROM units").fetchall()}
    start = _scalar(con, "SELECT coalesce(max(position), 0) FROM units")
    fresh = units[~units["unit"].isin(known)].drop_duplicates("unit").reset_index(drop=True)
    con.register("fresh", fresh.assign(position=range(start + 1, start + 1 + len(fresh))))
    con.execute('INSERT INTO units (name, group_name, position, since, added_by) SELECT unit, "group", position, ?, ? '
                "FROM fresh", [since, added_by])
    con.unregister("fresh")


def _check_name(name) -> None:
    if not isinstance(name, str) or not name.strip():
        raise StoreError("Tên đơn vị hoặc nhóm không được để trống.")
    if problem := text.name_problem(name):
        raise StoreError(f"Tên «{text.visible(name)}» {problem}; hãy sửa tên.")


def _unit_id(con: duckdb.DuckDBPyConnection, name: str) -> int:
    found = con.execute("SELECT unit_id FROM units WHERE name = ?", [name]).fetchall()
    if not found:
        raise StoreError(f"Không có đơn vị «{name}».")
    return found[0][0]


def _check_no_counts_from(con: duckdb.DuckDBPyConnection, unit_ids: list[int], since: int, what: str) -> None:
    """A unit cannot end in a month it has counts for, or before."""
    later = con.execute(
        "SELECT u.name, min(c.year::INTEGER * 100 + c.month) FROM monthly_counts c JOIN units u USING (unit_id) "
        "WHERE c.unit_id IN (SELECT unnest(?::INTEGER[])) AND c.year::INTEGER * 100 + c.month >= ? GROUP BY u.name "
        "ORDER BY 1", [unit_ids, since]).fetchall()
    if later:
        listed = "; ".join(f"{name} (tháng {month_text(m)})" for name, m in later)
        raise StoreError(f"Không {what} từ tháng {month_text(since)} được: đã có số liệu từ tháng đó trở đi "
                         f"của {listed}. Hãy hoàn tác các lần nhập đó, hoặc chọn tháng sau.")


def _join_plans(con: duckdb.DuckDBPyConnection, name: str, group: str, since: int | None) -> None:
    """A unit added from a month joins the plans of that year and later; from the start, the newest plan."""
    year = since // 100 if since else _scalar(con, "SELECT coalesce(max(year), 0) FROM plans")
    con.execute("INSERT INTO plan_units SELECT p.plan_id, u.unit_id, ?, "
                "(SELECT coalesce(max(position), 0) + 1 FROM plan_units r WHERE r.plan_id = p.plan_id) "
                "FROM plans p, units u WHERE p.year >= ? AND u.name = ?", [group, year, name])


def _write_targets(con: duckdb.DuckDBPyConnection, plan_id: int, targets: pd.DataFrame) -> None:
    con.register("incoming", targets.assign(plan_id=plan_id))
    con.execute("INSERT INTO plan_targets SELECT plan_id, kpi, level, subject, comparator, threshold, wording "
                "FROM incoming")
    con.unregister("incoming")


def _insert_counts(con: duckdb.DuckDBPyConnection, counts: pd.DataFrame, import_id: int) -> None:
    """Insert count rows named by unit; every unit must already exist."""
    con.register("incoming", counts.assign(import_id=import_id))
    missing = con.execute(
        "SELECT DISTINCT unit FROM incoming WHERE unit NOT IN (SELECT name FROM units) ORDER BY 1").fetchall()
    if missing:
        raise StoreError("Đơn vị chưa có trong danh sách: " + ", ".join(m for (m,) in missing))
    outside = con.execute(
        "SELECT u.name, i.year, i.month, u.since, u.until FROM incoming i JOIN units u ON u.name = i.unit "
        "WHERE i.year::INTEGER * 100 + i.month >= u.until OR i.year::INTEGER * 100 + i.month < u.since "
        "ORDER BY 1").fetchall()
    if outside:
        raise StoreError("Số liệu ngoài thời gian hoạt động của đơn vị: " + "; ".join(
            f"{name} tháng {m}/{y} (" + (f"thôi hoạt động từ tháng {month_text(until)}"
                                         if until is not None and y * 100 + m >= until
                                         else f"bắt đầu từ tháng {month_text(since)}") + ")"
            for name, y, m, since, until in outside[:10]) + ". Hãy ghép tên với đơn vị đang hoạt động.")
    columns = ", ".join(COUNTS)
    con.execute(
        f"INSERT INTO monthly_counts (unit_id, year, month, {columns}, import_id) "
        f"SELECT u.unit_id, i.year, i.month, {', '.join('i.' + c for c in COUNTS)}, i.import_id "
        "FROM incoming i JOIN units u ON u.name = i.unit")
