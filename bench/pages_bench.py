"""Page speed on a province: about 3.300 units, 36 months. Times each page's first run and its
rerun after a widget change, with Streamlit's AppTest on a real DuckDB file.

    python bench/pages_bench.py [--units 3300] [--months 36]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpi.measures import COUNTS  # noqa: E402
from kpi.plan import Plan, target_rows  # noqa: E402
from kpi.store import Store  # noqa: E402


def build(path: Path, units: int, months: int) -> None:
    """A province of 2026: 30 departments and the rest communes, wards and special zones."""
    store = Store(path)
    store.migrate()
    names = [f"Sở Thử nghiệm {i:02d}" for i in range(1, 31)] + [f"Xã Thử nghiệm {i:04d}" for i in range(1, units - 29)]
    groups = ["Sở, ban, ngành"] * 30 + ["Xã, phường, đặc khu"] * (units - 30)
    entries = [(kpi, level, subject, wording, "bench") for level, subject, kpi, wording in [
        ("area", "Tỉnh Thử nghiệm", "online", "Trên 80%"), ("area", "Tỉnh Thử nghiệm", "cashless", "Trên 40%"),
        ("group", "Sở, ban, ngành", "online", "Trên 90"), ("group", "Xã, phường, đặc khu", "online", "Trên 90"),
        ("group", "Sở, ban, ngành", "cashless", "Tối thiểu 40%"),
        ("group", "Xã, phường, đặc khu", "cashless", "Tối thiểu 40%")]]
    store.save_plan(Plan(year=2026, name="Kế hoạch thử nghiệm 2026", area="Tỉnh Thử nghiệm", source="bench",
                         units=pd.DataFrame({"unit": names, "group": groups}), targets=target_rows(entries),
                         groups=["Sở, ban, ngành", "Xã, phường, đặc khu"]))
    rng = np.random.default_rng(2026)
    calendar = [(2024 + (m // 12), m % 12 + 1) for m in range(months)]
    n = len(names) * len(calendar)
    new = rng.poisson(120, n)
    online = rng.binomial(new, rng.uniform(0.6, 1.0, n))
    fee = rng.binomial(online, 0.4)
    frame = pd.DataFrame({
        "unit": np.repeat(names, len(calendar)),
        "year": np.tile([y for y, _ in calendar], len(names)),
        "month": np.tile([m for _, m in calendar], len(names)),
        "received_online": online, "received_offline": new - online, "carried_over": 0, "received": new,
        "resolved": new, "resolved_early": new, "resolved_on_time": 0, "resolved_late": 0,
        "pending": 0, "pending_not_due": 0, "pending_overdue": 0,
        "fee_online": fee, "fee_dossiers": fee, "paid_online": rng.binomial(fee, 0.5),
    })
    for column in COUNTS:
        if column not in frame:
            frame[column] = pd.NA
    store.import_counts(frame[["unit", "year", "month", *COUNTS]].astype({c: "Int64" for c in COUNTS}),
                        file_name="bench")


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=3300)
    parser.add_argument("--months", type=int, default=36)
    args = parser.parse_args()
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "province.duckdb"
        seconds = timed(lambda: build(path, args.units, args.months))
        print(f"built {args.units:,} units × {args.months} months "
              f"({args.units * args.months:,} rows) in {seconds:.1f} s")
        os.environ["KPI_DB"] = str(path)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        results = []

        def run(label, action):
            seconds = timed(action)
            assert not at.exception, at.exception
            results.append((label, seconds))
            print(f"{label:<58} {seconds * 1000:8.0f} ms")

        run("Tổng quan: first run (cold caches)", at.run)
        run("Tổng quan: rerun, another month (not cached yet)",
            lambda: at.sidebar.selectbox(key="period").set_value((2026, 6)).run())
        run("Tổng quan: rerun, back to a month already seen", lambda: at.sidebar.selectbox(key="period")
            .set_value((2026, 12)).run())
        run("Xếp hạng: open", lambda: at.switch_page("views/ranking.py").run())
        run("Xếp hạng: rerun after choosing another KPI", lambda: at.selectbox(key="kpi").set_value("cashless").run())
        run("Xếp hạng: rerun after choosing a group",
            lambda: at.selectbox(key="group").set_value("Sở, ban, ngành").run())
        run("Xếp hạng: rerun after choosing year-to-date",
            lambda: at.sidebar.selectbox(key="scope").set_value("ytd").run())
        run("Đơn vị: open", lambda: at.switch_page("views/unit.py").run())
        run("Đơn vị: rerun after choosing another unit",
            lambda: at.selectbox(key="unit").set_value("Xã Thử nghiệm 1234").run())
        reruns = [s for label, s in results if "rerun" in label]
        print(f"slowest rerun after a widget change: {max(reruns) * 1000:.0f} ms (aim: under 1000 ms)")


if __name__ == "__main__":
    main()
