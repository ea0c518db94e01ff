"""Every benchmark in one run, on this machine: the import of a 100.000-row Biểu 06 against pandas +
openpyxl, the year-to-date ranking of every unit of a large database against pandas, the slowest page
rerun, the first page after `streamlit run`, the app's memory, and a load of sessions while the CLI
imports and undoes. Prints one JSON object, also written to bench/results.json; each figure is the
median of several runs.

    python bench/run.py            # 3.321 units × 60 months, 100.000 rows, 20 sessions for a minute
    python bench/run.py --quick    # a tenth of that, in under a minute
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(BENCH), str(ROOT / "tests")]

import import_bench  # noqa: E402
import province  # noqa: E402

from kpi import measures, scorecard  # noqa: E402
from kpi.periods import Period  # noqa: E402
from kpi.store import Store  # noqa: E402

FULL = {"units": 3321, "months": 60, "import_rows": 100_000, "sessions": 20, "load_s": 60, "repeat": 3}
QUICK = {"units": 332, "months": 6, "import_rows": 10_000, "sessions": 4, "load_s": 6, "repeat": 2}
LAST = (2026, 10)  # the large database's last month
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def median_of(runs: int, action) -> float:
    """The median of `runs` timings of `action()` in seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# -- the import -------------------------------------------------------------------------------------
def bench_import(tmp: Path, rows: int, repeat: int) -> dict:
    """import_bench's measurements, each in a fresh process (its own peak memory)."""
    path = tmp / "bieu06.xlsx"
    script = str(BENCH / "import_bench.py")
    subprocess.run([sys.executable, script, "--measure", "generate", "--rows", str(rows), "--file", str(path)],
                   check=True)
    runs = {"importer": [], "baseline": []}
    for i in range(repeat):
        for what in runs:
            out = subprocess.run([sys.executable, script, "--measure", what, "--file", str(path), "--db",
                                  str(tmp / f"import-{what}-{i}.duckdb")], capture_output=True, text=True, check=True)
            runs[what].append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {"import_100k_s": statistics.median(r["total_s"] for r in runs["importer"]),
            "import_100k_read_check_s": statistics.median(r["read_check_s"] for r in runs["importer"]),
            "import_100k_peak_mb": statistics.median(r["peak_rss_mb"] for r in runs["importer"]),
            "import_100k_openpyxl_s": statistics.median(r["total_s"] for r in runs["baseline"])}


# -- the year-to-date ranking ---------------------------------------------------------------------------
def ranking_with_pandas(store: Store, period: Period, kpi: str = "online"):
    """The same units' year-to-date rates and ranks from the month rows, grouped in pandas."""
    months = store.monthly_counts(period.months())
    units = store.units()[["unit_id", "unit"]]
    summed = months.groupby("unit_id")[list(measures.COUNTS)].sum(min_count=1)
    ratio = measures.get(kpi).ratio({})
    numerator = summed[list(ratio.numerator)].sum(axis=1, min_count=1)
    denominator = summed[list(ratio.denominator)].sum(axis=1, min_count=1)
    table = units.merge((numerator * 100 / denominator).rename("rate"), left_on="unit_id", right_index=True)
    table["rank"] = table["rate"].rank(method="min", ascending=False)
    return table.sort_values("rank")


def bench_ranking(db: Path, repeat: int) -> dict:
    store, period = Store(db), Period(*LAST, "ytd")
    ours = median_of(max(repeat, 5), lambda: scorecard.build(store, period).ranking("online"))
    theirs = median_of(max(repeat, 5), lambda: ranking_with_pandas(store, period))
    return {"ranking_ytd_s": ours, "ranking_ytd_pandas_s": theirs}


# -- page reruns (AppTest) ------------------------------------------------------------------------------
def bench_pages(db: Path, repeat: int) -> dict:
    """The slowest rerun after a widget change, AppTest on the large database; median over `repeat`
    rounds, each from empty caches."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["KPI_DB"] = str(db)
    year, month = LAST
    units = Store(db).units()["unit"].tolist()
    slowest = []
    for _ in range(repeat):
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.session_state["user"] = "xem"  # a viewer, logged in
        at.run()
        reruns = []

        def rerun(action):
            reruns.append(median_of(1, action))
            assert not at.exception, at.exception

        rerun(lambda: at.sidebar.selectbox(key="period").set_value((year, month - 4)).run())
        rerun(lambda: at.sidebar.selectbox(key="period").set_value((year, month)).run())
        at.switch_page("views/ranking.py").run()
        rerun(lambda: at.selectbox(key="kpi").set_value("cashless").run())
        rerun(lambda: at.selectbox(key="group").set_value(province.DEPARTMENT).run())
        rerun(lambda: at.sidebar.selectbox(key="scope").set_value("ytd").run())
        at.switch_page("views/unit.py").run()
        rerun(lambda: at.selectbox(key="unit").set_value(units[len(units) // 2]).run())
        slowest.append(max(reruns))
    return {"page_rerun_s": statistics.median(slowest)}


# -- the running app: first page, memory, load ------------------------------------------------------------
def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants (kaleido's Chromium for chart pictures), in MB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, StopIteration):
            continue
    return total / 1024


class Server:
    """`streamlit run app.py` on a database, its peak memory sampled while it runs."""

    def __init__(self, db: Path):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "KPI_DB": str(db), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
             str(self.port), "--server.address", "127.0.0.1"], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.peak_mb, self._stop = 0.0, threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak_mb = max(self.peak_mb, _tree_rss_mb(self.process.pid))

    def stop(self) -> None:
        self._stop.set()
        self._sampler.join()
        self.process.terminate()
        self.process.wait(20)


def log_in(page, url: str | None = None) -> None:
    """Log the viewer in (on the page shown, or on `url`'s login page) and wait for the overview's figures."""
    if url:
        page.goto(f"{url}/login", wait_until="domcontentloaded")
    page.get_by_label("Tên đăng nhập").fill("xem")
    page.get_by_label("Mật khẩu").fill(province.PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.locator("[data-testid='stMetricValue']").first.wait_for(timeout=120_000)


def first_page(db: Path, browser) -> tuple[float, float]:
    """Seconds from `streamlit run` to the overview's first figure drawn in Chromium, through the login
    form a viewer fills in, and the server's peak memory meanwhile."""
    server = Server(db)
    try:
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="vi-VN")
        while True:
            try:
                page.goto(server.url, wait_until="commit", timeout=1000)
                break
            except Exception:  # not listening yet
                if server.process.poll() is not None or time.perf_counter() - server.started > 120:
                    raise RuntimeError("streamlit did not start")
                time.sleep(0.05)
        log_in(page)
        seconds = time.perf_counter() - server.started
        page.close()
        return seconds, server.peak_mb
    finally:
        server.stop()


def load(db: Path, tmp: Path, sessions: int, seconds: float, browser) -> dict:
    """`sessions` websocket sessions switching pages, periods, scopes and KPIs for `seconds`, while the CLI
    imports a month and undoes it every few seconds; one Chromium tab draws the charts meanwhile."""
    from load import browse, people
    from wsclient import Client

    units = Store(db).units()["unit"].tolist()
    sheet = tmp / "load-bieu06.xlsx"
    import_bench.generate(sheet, min(len(units), 200), names=units[:200], title="Tháng 11 năm 2026")
    server = Server(db)
    latencies, errors, writes, write_failures = [], [], [], []
    try:
        deadline = time.perf_counter() + 120
        while True:
            try:
                Client(server.url).ws.close()
                break
            except Exception:
                if time.perf_counter() > deadline:
                    raise
                time.sleep(0.2)
        months = [f"Tháng {m}/{LAST[0]}" for m in range(1, LAST[1] + 1)]
        clients = people(server.url, sessions)
        stop = time.perf_counter() + seconds
        until = time.monotonic() + seconds

        def record(seen) -> None:
            latencies.append(seen.seconds)
            if seen.failed:
                errors.append(f"{seen.page or 'tong-quan'} {seen.period} {seen.scope}: {seen.failed}")

        def session(i: int) -> None:
            client, run = clients[i]
            try:
                browse(client, run, i, until, months, record)
            except Exception as error:  # noqa: BLE001 (a session that stops answering is an error)
                errors.append(f"{type(error).__name__} {error}")

        def office() -> None:
            cli = [sys.executable, "-m", "kpi", "--db", str(db)]
            while time.perf_counter() < stop:
                started = time.perf_counter()
                done = subprocess.run([*cli, "import", str(sheet), "--period", "2026-11", "--yes"],
                                      capture_output=True, text=True, cwd=ROOT)
                writes.append(time.perf_counter() - started)
                if done.returncode:
                    write_failures.append(done.stdout[-300:] + done.stderr[-300:])
                    continue
                number = int(done.stdout.split("lần nhập số ")[1].split(")")[0].split(";")[0])
                time.sleep(1)
                undone = subprocess.run([*cli, "undo", str(number)], capture_output=True, text=True, cwd=ROOT)
                if undone.returncode:
                    write_failures.append(undone.stdout[-300:] + undone.stderr[-300:])
                time.sleep(2)

        def charts() -> None:  # a person in Chromium, going between the pages with charts by the menu
            page = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
            log_in(page, server.url)
            while time.perf_counter() < stop:
                for name in ("Xếp hạng", "Tổng quan"):
                    page.get_by_role("link", name=name).click()
                    page.locator("[data-testid='stPlotlyChart']").first.wait_for(timeout=300_000)
            page.close()

        threads = [threading.Thread(target=session, args=(i,)) for i in range(sessions)]
        threads.append(threading.Thread(target=office))
        for t in threads:
            t.start()
        charts()
        for t in threads:
            t.join()
    finally:
        server.stop()
    ordered = sorted(latencies)
    return {"load_p50_s": statistics.median(ordered) if ordered else None,
            "load_p95_s": ordered[int(0.95 * (len(ordered) - 1))] if ordered else None,
            "load_reruns": len(ordered), "load_errors": len(errors), "load_error_examples": errors[:3],
            "load_writes": len(writes), "load_write_failures": len(write_failures),
            "load_write_failure_examples": write_failures[:3],
            "load_write_max_s": max(writes) if writes else None, "app_peak_mb": server.peak_mb}


def machine() -> dict:
    memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cpus": os.cpu_count(), "cpu": model, "memory_gb": round(int(memory) / 1048576, 1),
            "python": platform.python_version(), "system": platform.platform()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes, in under a minute")
    parser.add_argument("--out", type=Path, default=BENCH / "results.json")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    started = time.perf_counter()
    results = {"quick": args.quick, "sizes": sizes, "machine": machine()}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        db = tmp / "province.duckdb"
        built = time.perf_counter()
        province.build(db, sizes["units"], sizes["months"], LAST)
        results["generate_s"] = time.perf_counter() - built
        for phase in (lambda: bench_import(tmp, sizes["import_rows"], sizes["repeat"]),
                      lambda: bench_ranking(db, sizes["repeat"]), lambda: bench_pages(db, sizes["repeat"])):
            results.update(phase())
            print(json.dumps(results, ensure_ascii=False), file=sys.stderr, flush=True)  # so far
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox",
                                                                        "--disable-gpu"])
            firsts = [first_page(db, browser) for _ in range(sizes["repeat"])]
            results["first_page_s"] = statistics.median(s for s, _ in firsts)
            loaded = tmp / "load.duckdb"
            shutil.copy(db, loaded)
            results.update(load(loaded, tmp, sizes["sessions"], sizes["load_s"], browser))
            results["app_peak_mb"] = max(results["app_peak_mb"], *(m for _, m in firsts))
            browser.close()
    results["seconds"] = time.perf_counter() - started
    results = {k: round(v, 3) if isinstance(v, float) else v for k, v in results.items()}
    text = json.dumps(results, ensure_ascii=False, indent=2)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
