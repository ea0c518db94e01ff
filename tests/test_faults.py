"""Faults survived: an import, an undo, `init` and a plan edit killed (SIGKILL) at chosen points leave the
state before or the state after, never half; the next start repairs an interrupted first start; a
read-only or full disk and a database of a newer version are said in Vietnamese with nothing half written;
writes wait for their turn, first come first served, and say so while they wait."""
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import duckdb
import pytest

from conftest import ROOT
from kpi import setup
from kpi.service import Service, console
from kpi.store import SCHEMA_VERSION, Store, StoreBusy, StoreError, waiting_shown
from sheets import bieu06, counts

CLI = [sys.executable, "-m", "kpi"]


def points(seconds: float, n: int = 8) -> list[float]:
    """When to kill a command that takes `seconds` when left alone: from its start to its last moments, most
    of them in its second half, where it writes."""
    return [seconds * f for f in (0.2, 0.5, *(0.6 + 0.4 * i / (n - 2) for i in range(n - 2)))]


def timed(path, *args) -> tuple[float, str]:
    """How long a command takes left alone, and what it printed."""
    started = time.monotonic()
    done = cli(path, *args)
    assert done.returncode == 0, done.stderr
    return time.monotonic() - started, done.stdout


def number(printed: str) -> str:
    """The import's number in the CLI's "Đã nhập … (lần nhập số 3)"."""
    return printed.split("lần nhập số ")[1].split(")")[0].split(";")[0]


def state(path) -> tuple:
    """Everything a kill could leave half done: counts, imports, units, plans, targets, the audit."""
    with duckdb.connect(str(path), read_only=True) as con:
        return tuple(con.execute(sql).fetchall() for sql in (
            "SELECT * FROM monthly_counts ORDER BY ALL", "SELECT import_id, file_name, undone_at IS NULL FROM imports "
            "ORDER BY ALL", "SELECT * FROM units ORDER BY ALL", "SELECT plan_id, year, name FROM plans ORDER BY ALL",
            "SELECT * FROM plan_targets ORDER BY ALL", "SELECT action, subject FROM audit ORDER BY ALL"))


def cli(path, *args, wait=True):
    command = [*CLI, "--db", str(path), *args]
    if wait:
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def killed_after(path, delay: float, *args) -> bool:
    """Run the CLI and SIGKILL it after `delay` seconds; whether it was still running then."""
    process = cli(path, *args, wait=False)
    try:
        process.wait(delay)
        return False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return True


def month_file(tmp_path, online: int, month: int = 1) -> str:
    path = tmp_path / f"t{month}-2025-{online}.xlsx"
    units = [("Phòng Tư pháp", counts(online, 5)), ("Xã Mỹ Hương", counts(online + 20, 9))]
    path.write_bytes(bieu06([("I", "Phòng ban", units)], title_period=f"Tháng {month} năm 2025"))
    return str(path)


@pytest.fixture
def office(tmp_path):
    """A database with real figures: the sample's plans and units, and one month imported."""
    path = tmp_path / "kpi.duckdb"
    assert cli(path, "init", "--demo").returncode == 0
    assert cli(path, "import", month_file(tmp_path, 30, month=2), "--yes").returncode == 0
    return path


def test_an_import_killed_at_any_point_leaves_before_or_after(office, tmp_path):
    sheet = month_file(tmp_path, 40)
    seconds, printed = timed(office, "import", sheet, "--yes")
    assert cli(office, "undo", number(printed)).returncode == 0
    before, seen = state(office), set()
    for delay in points(seconds):
        killed_after(office, delay, "import", sheet, "--yes")
        now = state(office)
        assert now == before or (len(now[0]) == len(before[0]) + 2 and len(now[1]) == len(before[1]) + 1), delay
        seen.add("after" if now != before else "before")
        if now != before:  # done: undone, for the next kill to start from the same state
            last = max(i for i, _, active in now[1] if active)
            assert cli(office, "undo", str(last)).returncode == 0
            before = state(office)
    assert "before" in seen  # some kills landed before the commit
    assert cli(office, "import", sheet, "--yes").returncode == 0  # nothing left locked


def test_an_undo_killed_at_any_point_leaves_before_or_after(office, tmp_path):
    sheet = month_file(tmp_path, 40)
    done = cli(office, "import", sheet, "--yes")
    seconds, _ = timed(office, "undo", number(done.stdout))
    for delay in points(seconds, 6):
        done = cli(office, "import", sheet, "--yes", "--replace")
        assert done.returncode == 0, done.stderr
        made = number(done.stdout)
        before = state(office)
        killed_after(office, delay, "undo", made)
        now = state(office)
        undone = len(now[0]) == len(before[0]) - 2 and not [a for i, _, a in now[1] if str(i) == made and a]
        assert now == before or undone, delay
        if now == before:
            assert cli(office, "undo", made).returncode == 0


def test_a_plan_edit_killed_at_any_point_leaves_before_or_after(office, tmp_path):
    before = state(office)
    seconds, _ = timed(office, "plan", "copy", "2024", "--to", "2025")
    assert cli(office, "plan", "delete", "2025").returncode == 0
    before = state(office)
    for delay in points(seconds, 6):
        killed_after(office, delay, "plan", "copy", "2024", "--to", "2025")
        now = state(office)
        plans = [p for p in now[3] if p[1] == 2025]
        assert now == before or (len(plans) == 1 and len(now[4]) > len(before[4])), delay
        if now != before:
            assert cli(office, "plan", "delete", "2025").returncode == 0
            before = state(office)


def test_an_interrupted_first_start_is_repaired_on_the_next(tmp_path):
    path = tmp_path / "kpi.duckdb"
    Store(path).migrate()  # killed after the schema, before the sample: an empty database
    door = Service(path, console())
    door.ensure()  # the app's next start
    assert door.facts()["area"]["name"] == "Huyện Mỹ Tú" and len(door.months()) > 0
    empty = tmp_path / "empty.duckdb"  # `init` without a plan: empty on purpose, and it stays so
    assert cli(empty, "init").returncode == 0
    Service(empty, console()).ensure()
    assert Service(empty, console()).facts()["area"]["name"] is None and Service(empty, console()).months() == []
    seconds, _ = timed(tmp_path / "timed.duckdb", "init", "--demo")
    for i, delay in enumerate(points(seconds, 6)):  # `init --demo` killed wherever it is
        fresh = tmp_path / f"init-{i}.duckdb"
        killed_after(fresh, delay, "init", "--demo")
        if fresh.exists():
            Service(fresh, console()).ensure()
            assert Service(fresh, console()).facts()["area"]["name"] == "Huyện Mỹ Tú"


def test_a_newer_database_is_refused_in_vietnamese_and_left_as_it_was(office):
    with Store(office).transaction() as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    before = state(office)
    done = cli(office, "import", str(office), "--yes")
    assert done.returncode == 2
    assert f"Cơ sở dữ liệu có phiên bản {SCHEMA_VERSION + 1}, mới hơn phần mềm ({SCHEMA_VERSION})" in done.stderr
    assert "Traceback" not in done.stderr and state(office) == before


@pytest.fixture
def mounted(tmp_path):
    """A small file system of its own (tmpfs), to fill up or make read-only; skipped where mounting is not
    allowed."""
    point = tmp_path / "disk"
    point.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(point)], capture_output=True).returncode:
        pytest.skip("mounting a tmpfs is not allowed here")
    yield point
    subprocess.run(["umount", "-l", str(point)], check=False)


def test_a_read_only_disk_is_said_and_nothing_is_written(mounted, tmp_path):
    path = mounted / "kpi.duckdb"
    assert cli(path, "init", "--demo").returncode == 0
    before = state(path)
    assert subprocess.run(["mount", "-o", "remount,ro", str(mounted)]).returncode == 0
    done = cli(path, "import", month_file(tmp_path, 40), "--yes")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "ổ đĩa chỉ cho phép đọc" in done.stderr, done.stderr
    assert state(path) == before
    assert "Tỷ lệ hồ sơ trực tuyến — Tháng 6/2024" in cli(path, "ranking", "--period", "2024-06").stdout  # still read


def test_a_full_disk_is_said_and_nothing_is_written(mounted, tmp_path):
    path = mounted / "kpi.duckdb"
    assert cli(path, "init", "--demo").returncode == 0
    before = state(path)
    filler = mounted / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M", "count=64"], capture_output=True)
    done = cli(path, "import", month_file(tmp_path, 40), "--yes")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "ổ đĩa đã đầy; chưa có gì được ghi" in done.stderr, done.stderr
    filler.unlink()
    assert state(path) == before


def test_writers_queue_first_come_first_served_and_say_they_wait(tmp_path):
    path = tmp_path / "kpi.duckdb"
    setup.initialise(Store(path), sample="district")
    order, said = [], []
    holder = Store(path)
    entered = threading.Event()

    def hold():
        with holder.transaction():
            entered.set()
            time.sleep(2.5)  # a long write: the others queue behind it
            order.append("holder")

    def write(name: str):
        store = Store(path, write_wait=30)
        with waiting_shown(lambda ahead, seconds: said.append((name, ahead))):
            with store.transaction():
                order.append(name)

    first = threading.Thread(target=hold)
    first.start()
    entered.wait(5)
    writers = []
    for name in ("a", "b", "c"):
        writers.append(threading.Thread(target=write, args=(name,)))
        writers[-1].start()
        time.sleep(0.3)
    for t in [first, *writers]:
        t.join(30)
    assert order == ["holder", "a", "b", "c"]
    assert ("c", 3) in said and ("a", 1) in said  # each said how many writes were ahead of it


def test_a_write_still_waiting_at_its_limit_is_refused_in_vietnamese(tmp_path):
    path = tmp_path / "kpi.duckdb"
    setup.initialise(Store(path), sample="district")
    found = []
    with Store(path).transaction():  # held by this thread while another's write waits
        waiting = threading.Thread(target=lambda: found.append(_try_write(path)))
        waiting.start()
        waiting.join()
    assert isinstance(found[0], StoreBusy), found
    assert "đang bận: một người khác đang ghi. Đã chờ 1 giây" in str(found[0])


def _try_write(path):
    try:
        with Store(path, write_wait=1).transaction():
            pass
    except StoreError as error:
        return error
    return AssertionError("the write did not wait")


def test_a_dead_writers_ticket_is_swept_away(tmp_path):
    path = tmp_path / "kpi.duckdb"
    setup.initialise(Store(path), sample="district")
    folder = tmp_path / "kpi.duckdb.writers"
    (folder / f"{0:020d}-1-{uuid.uuid4().int % 1000}").write_text("")  # a writer killed in its turn: no lock held
    with Store(path, write_wait=2).transaction():
        pass
    assert [p for p in os.listdir(folder) if not p.startswith(".")] == []
