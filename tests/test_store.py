"""The DuckDB store: schema, migrations, transactions, and sharing the file between processes."""
import errno
import os
import subprocess
import sys
import threading
import time

import pytest

from conftest import ROOT, count_rows
from kpi import setup
from kpi.store import SCHEMA_VERSION, Store, StoreBusy, StoreError


def test_new_database_has_schema_plan_and_units(store):
    assert store.schema_version() == SCHEMA_VERSION
    assert store.migrate() == SCHEMA_VERSION  # idempotent
    units = store.units()
    assert len(units) == 21
    assert units["group"].value_counts().to_dict() == {"Một cửa cấp huyện": 11, "Một cửa cấp xã": 9, "Công an huyện": 1}
    plans = store.plans()
    assert plans["name"].tolist() == ["Kế hoạch 64/KH-UBND năm 2024"] and plans["year"].tolist() == [2024]
    targets = store.targets(int(plans["plan_id"].iloc[0]))
    assert len(targets) == 2 + 2 * 11 + 2 * 2  # area, 11 departments, 2 groups; online and cashless each
    area = targets[targets["level"] == "area"].set_index("kpi")
    assert area.loc["online", "wording"] == "Trên 80%" and area.loc["online", "comparator"] == "gt"
    assert store.meta()["area"] == "Huyện Mỹ Tú"


def test_reading_a_missing_database_says_how_to_create_it(tmp_path):
    with pytest.raises(StoreError, match="python -m kpi init"):
        Store(tmp_path / "none.duckdb").units()


def test_failed_write_leaves_database_as_it_was(store):
    store.import_counts(count_rows([{"unit": "Xã Mỹ Tú", "year": 2024, "month": 1, "received_online": 5}]), file_name="a.xlsx")
    before = (store.monthly_counts([(2024, 1), (2024, 2)]), store.imports())
    bad = count_rows([
        {"unit": "Xã Mỹ Tú", "year": 2024, "month": 2, "received_online": 7},
        {"unit": "Xã Không Có", "year": 2024, "month": 2, "received_online": 1},
    ])
    with pytest.raises(StoreError, match="Xã Không Có"):
        store.import_counts(bad, file_name="b.xlsx")
    negative = count_rows([{"unit": "Xã Mỹ Tú", "year": 2024, "month": 2, "received_online": -1}])
    with pytest.raises(Exception):
        store.import_counts(negative, file_name="c.xlsx")
    after = (store.monthly_counts([(2024, 1), (2024, 2)]), store.imports())
    assert after[0].equals(before[0]) and after[1].equals(before[1])


def test_a_stored_month_is_not_silently_overwritten(store):
    rows = count_rows([{"unit": "Xã Mỹ Tú", "year": 2024, "month": 1, "received_online": 5}])
    store.import_counts(rows, file_name="a.xlsx")
    with pytest.raises(StoreError, match="Đã có số liệu của: Xã Mỹ Tú tháng 1/2024"):
        store.import_counts(rows, file_name="a-again.xlsx")
    assert len(store.imports()) == 1


def test_sample_and_real_data_never_mix(store, tmp_path):
    demo = Store(tmp_path / "demo.duckdb")
    setup.initialise(demo, sample="district")
    result = demo.import_counts(
        count_rows([{"unit": "Xã Mỹ Tú", "year": 2025, "month": 1, "received_online": 5}]), file_name="x.xlsx")
    assert result["sample_removed"] and not demo.has_demo_data()
    assert demo.months() == [(2025, 1)]
    with pytest.raises(StoreError, match="dữ liệu mẫu"):
        demo.replace_demo_counts(count_rows([{"unit": "Xã Mỹ Tú", "year": 2024, "month": 2}]))
    assert demo.months() == [(2025, 1)]


HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_busy_file_is_retried_then_reported_in_vietnamese(store):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(store.path), "30"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        with pytest.raises(StoreBusy, match=f"đang bận: tiến trình PID {holder.pid} đang giữ tệp"):
            Store(store.path, lock_timeout=1).units()
        assert time.monotonic() - started >= 1
    finally:
        holder.kill()
        holder.wait()


def test_busy_file_is_waited_for_when_released_in_time(store):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(store.path), "1"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert len(Store(store.path, lock_timeout=15).units()) == 21
    finally:
        holder.wait()


def test_cli_writes_while_another_process_reads(tmp_path):
    """The CLI rebuilds the database over and over while this process reads it: neither side
    sees a lock error, and every read gives the whole unit list."""
    path = tmp_path / "shared.duckdb"
    env_cmd = [sys.executable, "-m", "kpi", "--db", str(path), "init", "--demo"]
    assert subprocess.run(env_cmd, cwd=ROOT, capture_output=True).returncode == 0
    writer = subprocess.Popen(
        ["bash", "-c", f"for i in 1 2 3 4 5; do {' '.join(env_cmd)} || exit 1; done"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reader = Store(path, lock_timeout=20)
    reads = 0
    while writer.poll() is None:
        assert len(reader.units()) == 21
        assert len(reader.monthly_counts([(2024, 6)])) == 21
        reads += 1
    out, err = writer.communicate()
    assert writer.returncode == 0, err
    assert out.count("Đã cập nhật") == 5 and "Lỗi" not in err
    assert reads > 0


def test_reads_kept_until_the_data_changes_see_another_processs_write(store):
    """The units, plans and targets are kept between reads until any process writes: a unit another process adds,
    a group changed here, are in the next read; a read inside a write sees the write's own change."""
    def counted() -> int:
        return int(store.query("SELECT count(*) AS n FROM units")["n"].iloc[0])

    assert len(store.units()) == 21 == counted() and store.units() is not store.units()  # each read its own copy
    mine = store.units()
    mine.loc[0, "unit"] = "đổi trong bản sao"
    assert "đổi trong bản sao" not in store.units()["unit"].tolist()
    add = ("from kpi.store import Store; import sys; Store(sys.argv[1]).add_unit('Xã Mới Lập', 'Một cửa cấp xã')")
    subprocess.run([sys.executable, "-c", add, str(store.path)], cwd=ROOT, check=True, timeout=60)
    assert counted() == 22 and len(store.units()) == 22 and "Xã Mới Lập" in store.units()["unit"].tolist()
    with store.transaction() as con:
        con.execute("UPDATE units SET group_name = 'Nhóm mới' WHERE name = 'Xã Mới Lập'")
        assert store.units().set_index("unit").at["Xã Mới Lập", "group"] == "Nhóm mới"
    assert Store(store.path).units().set_index("unit").at["Xã Mới Lập", "group"] == "Nhóm mới"


def test_a_kept_user_record_sees_an_account_change_made_by_another_process(store):
    """A page reads its user once a run, kept until any write: a role changed or an account disabled by another
    process (the CLI), which changes no figure, counts from the next read all the same."""
    store.add_user("an", "viewer", None)
    assert store.user("an")["role"] == "viewer" and store.user("an")["disabled"] is False
    data = store.version()
    change = ("import sys\nfrom kpi.store import Store\ns = Store(sys.argv[1])\nwith s.transaction(data=False):\n"
              "    s.update_user('an', role='admin', disabled=True)\n")  # as the CLI's account commands write
    subprocess.run([sys.executable, "-c", change, str(store.path)], cwd=ROOT, check=True, timeout=60)
    assert store.version() == data  # the figures' key is unchanged
    assert store.user("an")["role"] == "admin" and store.user("an")["disabled"] is True


def test_a_write_whose_stamp_fails_leaves_no_user_record_kept(store, monkeypatch):
    """When the stamp cannot be written after a commit (a full disk), the write is said to have gone through, and
    no process keeps what it read before: the stamp is taken away, and without one every read is fresh."""
    store.add_user("an", "viewer", None)
    with store.transaction(data=False):
        pass  # an account write: the user records are kept from now on
    assert store.user("an")["disabled"] is False
    real = os.replace

    def full(source, target):
        if str(target).endswith(".accounts"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(source, target)

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(StoreError, match="không đánh dấu được phiên bản mới"):
        with store.transaction(data=False):
            store.update_user("an", disabled=True)
    assert store.user("an")["disabled"] is True and Store(store.path).user("an")["disabled"] is True


def test_reads_together_see_one_version_even_when_kept(store):
    """Inside reading() a write waits, even when every read is kept and the file was never opened: the reads
    see one version of the data, then the write goes through."""
    store.units()  # kept now
    done = threading.Event()

    def rename() -> None:
        Store(store.path).rename_unit("Phòng Tư pháp", "Phòng Tư pháp mới")
        done.set()

    with store.reading():
        before = store.units()
        writer = threading.Thread(target=rename)
        writer.start()
        assert not done.wait(1.0)  # waiting for this reader
        assert store.units()["unit"].tolist() == before["unit"].tolist()
    writer.join(30)
    assert done.is_set() and "Phòng Tư pháp mới" in store.units()["unit"].tolist()


def test_a_missing_folder_is_said_not_thrown(tmp_path):
    with pytest.raises(StoreError, match="Không ghi được vào cơ sở dữ liệu .*: không có thư mục này"):
        with Store(tmp_path / "khong-co" / "kpi.duckdb").transaction():
            pass


def test_reads_inside_another_stores_transaction_use_it(store):
    other = Store(store.path, lock_timeout=2)
    with store.transaction() as con:
        con.execute("UPDATE units SET group_name = 'Nhóm mới' WHERE name = 'Phòng Tư pháp'")
        assert other.units().set_index("unit").at["Phòng Tư pháp", "group"] == "Nhóm mới"  # no wait for itself
        assert other.schema_version() == SCHEMA_VERSION


def test_readers_get_their_turn_between_continuous_writes(store):
    """Three threads write without pause while a reader reads: with a 3-second limit, no read is
    refused as busy (each waits for at most the write in progress), and the writes all go through."""
    stop, errors, reads, writes = threading.Event(), [], [0], [0]

    def write():
        writer = Store(store.path, lock_timeout=3)
        while not stop.is_set():
            try:
                writer.set_setting("sso", "false")
                writes[0] += 1
            except StoreError as error:
                errors.append(repr(error))

    def read():
        reader = Store(store.path, lock_timeout=3)
        while not stop.is_set():
            try:
                assert len(reader.units()) == 21
                reads[0] += 1
            except StoreError as error:
                errors.append(repr(error))

    threads = [threading.Thread(target=write) for _ in range(3)] + [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(4)
    stop.set()
    for t in threads:
        t.join()
    assert errors == [] and reads[0] > 10 and writes[0] > 10
