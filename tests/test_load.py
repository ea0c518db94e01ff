"""Twenty people at once: `streamlit run` on a province database, twenty websocket sessions switching pages,
periods, scopes and KPIs for a minute while the CLI replaces a month and undoes it every few seconds. No
error reaches a session, no write fails, and a session's next run after a change shows it."""
import os
import subprocess
import sys
import threading
import time

from conftest import ROOT
from wsclient import Client, serve

sys.path.insert(0, str(ROOT / "bench"))
import import_bench  # noqa: E402
import province  # noqa: E402
from load import browse, log_in, online_shown, people  # noqa: E402

SESSIONS = 20
SECONDS = float(os.environ.get("KPI_LOAD_SECONDS", 60))
OCTOBER = "Tháng 10/2026"
MONTHS = [f"Tháng {m}/2026" for m in range(1, 11)]


def test_twenty_sessions_while_the_cli_imports_and_undoes(tmp_path):
    db = tmp_path / "province.duckdb"
    province.build(db, units=332, months=12)  # to October 2026
    names = province.names(332)["unit"].tolist()
    sheet = tmp_path / "t10.xlsx"  # October again for 60 units: the CLI replaces their figures, then undoes it
    import_bench.generate(sheet, 60, names=names[:60], title="Tháng 10 năm 2026")
    cli = [sys.executable, "-m", "kpi", "--db", str(db)]
    errors, failures = [], []
    changes = []  # whether October is the imported one, after each change by the CLI
    server_log: list[str] = []  # what the server wrote, shown when a session met an error
    with serve(db, log_lines=server_log) as url:
        figures = {}  # the overview's October online rate before the import and after it
        with Client(url) as client:
            figures[False] = online_shown(log_in(client))
            done = subprocess.run([*cli, "import", str(sheet), "--yes", "--replace"], cwd=ROOT, capture_output=True,
                                  text=True)
            figures[True] = online_shown(client.run(""))
            subprocess.run([*cli, "undo", number(done.stdout)], cwd=ROOT, check=True, capture_output=True)
            assert figures[True] != figures[False] == online_shown(client.run("")), figures
        sessions = people(url, SESSIONS)
        assert all(online_shown(first) == figures[False] for _, first in sessions)
        stop = time.monotonic() + SECONDS
        seen = []

        def record(one) -> None:
            seen.append(one.seconds)
            if one.failed:
                errors.append((one.page, one.period, one.scope, one.failed))

        def session(i: int) -> None:
            client, run = sessions[i]
            sessions[i] = client, browse(client, run, i, stop, MONTHS, record)

        def office() -> None:
            while time.monotonic() < stop - 3:
                done = subprocess.run([*cli, "import", str(sheet), "--yes", "--replace"], cwd=ROOT,
                                      capture_output=True, text=True)
                if done.returncode:
                    failures.append(done.stderr)
                    continue
                changes.append(True)
                time.sleep(2)
                undone = subprocess.run([*cli, "undo", number(done.stdout)], cwd=ROOT, capture_output=True, text=True)
                if undone.returncode:
                    failures.append(undone.stderr)
                else:
                    changes.append(False)
                time.sleep(2)

        threads = [threading.Thread(target=session, args=(i,)) for i in range(SESSIONS)]
        threads.append(threading.Thread(target=office))
        for t in threads:
            t.start()
        for t in threads:
            t.join(SECONDS + 300)
        assert not failures, failures[:3]
        assert len(changes) >= 4 and len(seen) >= SESSIONS * 2, (changes, len(seen))
        seen.sort()
        print(f"{len(seen)} runs, p50 {seen[len(seen) // 2]:.2f} s, p95 {seen[int(0.95 * (len(seen) - 1))]:.2f} s; "
              f"{len(changes)} changes by the CLI")

        # then every session goes to October's overview, and after each change its next run shows it
        for i, (client, run) in enumerate(sessions):
            run = client.run("", timeout=300)
            run = client.run(None, widgets=[client.set(run.find("scope"), "Tháng")], timeout=300)
            sessions[i] = client, client.run(None, widgets=[client.set(run.find("period"), OCTOBER)], timeout=300)
            assert online_shown(sessions[i][1]) == figures[changes[-1]], i
        done = subprocess.run([*cli, "import", str(sheet), "--yes", "--replace"], cwd=ROOT, capture_output=True,
                              text=True)
        assert all(online_shown(client.run(None, timeout=300)) == figures[True] for client, _ in sessions)
        subprocess.run([*cli, "undo", number(done.stdout)], cwd=ROOT, check=True, capture_output=True)
        assert all(online_shown(client.run(None, timeout=300)) == figures[False] for client, _ in sessions)

    assert not errors, (errors[:5], "\n".join(server_log[-60:]))


def number(printed: str) -> str:
    """The import's number in the CLI's "Đã nhập … (lần nhập số 3)"."""
    return printed.split("lần nhập số ")[1].split(")")[0].split(";")[0]
