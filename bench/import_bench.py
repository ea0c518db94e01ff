"""Import speed and memory: a generated 100.000-row Biểu 06 file, read and checked by the importer
(fastexcel/calamine into Arrow columns, pyarrow compute), stored in DuckDB, next to the same read
with pandas + openpyxl.

    python bench/import_bench.py [--rows 100000] [--repeat 3]

Each measurement runs in a fresh process so that its peak memory (max RSS) is its own; each is
repeated and the median printed, with the range, because one run on a shared machine varies.
"""
from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def generate(path: Path, rows: int, names: list[str] | None = None, title: str = "Tháng 3 năm 2026") -> None:
    """A Biểu 06 like the one-stop system's: title, three merged header rows, column numbers,
    two sections, `rows` unit rows (some numbers stored as text), a total row, a signature. `names`: the
    units' names (else "UBND xã Thử Nghiệm 000001"…)."""
    from openpyxl import Workbook

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = "Biểu 06"
    sheet.append(["UBND TỈNH"])
    sheet.append(["TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TTHC TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT TTHC"])
    sheet.append([f"Kỳ báo cáo: {title}"])
    sheet.append(["STT", "Đơn vị", "Số hồ sơ nhận giải quyết", None, None, None, "Số hồ sơ đã giải quyết", None, None,
                  None, "Số hồ sơ đang giải quyết", None, None, "Tổng HS có nghĩa vụ tài chính", "Số HS đã TTTT"])
    sheet.append([None, None, "Tổng số", "Trong đó", None, None, "Tổng số", "Trước hạn", "Đúng hạn", "Quá hạn",
                  "Tổng số", "Trong hạn", "Quá hạn"])
    sheet.append([None, None, None, "Trực tuyến", "Trực tiếp, dịch vụ bưu chính", "Từ kỳ trước"])
    for rng in ["A4:A6", "B4:B6", "C4:F4", "G4:J4", "K4:M4", "C5:C6", "D5:F5", "G5:G6", "H5:H6", "I5:I6", "J5:J6",
                "K5:K6", "L5:L6", "M5:M6", "N4:N6", "O4:O6"]:
        sheet.merge_cells(rng)
    sheet.append([f"({i})" for i in range(1, 16)])
    totals = [0] * 13
    sheet.append(["I", "UBND các xã, phường"])
    for i in range(1, rows + 1):
        online, offline, carried = 50 + i % 50, 5 + i % 7, i % 3
        received = online + offline + carried
        pending = i % 4
        resolved = received - pending
        late = i % 2
        early = resolved // 2
        fee = online // 2
        values = [received, online, offline, carried, resolved, early, resolved - early - late, late,
                  pending, pending, 0, fee, fee // 2]
        totals = [a + b for a, b in zip(totals, values)]
        cells = [f"{v:,}".replace(",", ".") for v in values] if i % 10 == 0 else values
        sheet.append([i, names[i - 1] if names else f"UBND xã Thử Nghiệm {i:06d}", *cells])
    sheet.append([None, "Tổng cộng", *totals])
    sheet.append([])
    sheet.append([None, "Người lập biểu", None, None, None, None, None, None, None, "Thủ trưởng đơn vị"])
    book.save(path)


def measure(what: str, path: Path, db: Path) -> dict:
    """Libraries are imported and the database created before the clock starts, for both; for ours, the
    parsers' server too, as the import page starts it when it opens. Both with the memory settings the app and
    the CLI start with (kpi.memory)."""
    from kpi import memory

    memory.hand_back()
    import pandas as pd

    from kpi import ingest, plan, setup
    from kpi.store import Store

    data = path.read_bytes()
    if what == "importer":
        store = Store(db)
        setup.initialise(store, plan.SHIPPED_PLAN)
        from kpi.ingest import isolation
        isolation.call("warm-up", len, b"")  # the parsers' server up and loaded, as the import page leaves it
        started = time.perf_counter()
        prepared = ingest.prepare(path.name, data, store)
        read_s = time.perf_counter() - started
        assert not prepared.errors and len(prepared.rows) > 0, prepared.errors[:3]
        prepared.commit(store, prepared.title_period, new_units={n: "Xã" for n in prepared.unknown})
        total = time.perf_counter() - started
        rows = len(store.monthly_counts([prepared.title_period]))
        result = {"read_check_s": read_s, "rows": rows}
    else:
        import openpyxl  # noqa: F401

        started = time.perf_counter()
        frame = pd.read_excel(io.BytesIO(data), engine="openpyxl", header=None)
        total = time.perf_counter() - started
        result = {"rows": len(frame)}
    result["total_s"] = total
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", choices=["importer", "baseline", "generate"])
    parser.add_argument("--file", type=Path)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    if args.measure == "generate":
        generate(args.file, args.rows)
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.file, args.db)))
        return
    # every step in its own process, this one kept small: a child's peak RSS starts from its parent's
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bieu06.xlsx"
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--measure", "generate", "--rows", str(args.rows), "--file",
                        str(path)], check=True)
        print(f"generated {args.rows:,} rows: {path.stat().st_size / 1048576:.1f} MB in "
              f"{time.perf_counter() - started:.1f} s")
        runs = {"importer": [], "baseline": []}
        for i in range(args.repeat):
            for what in runs:
                db = Path(tmp) / f"{what}-{i}.duckdb"
                out = subprocess.run([sys.executable, __file__, "--measure", what, "--file", str(path), "--db", str(db)],
                                     capture_output=True, text=True, check=True)
                runs[what].append(json.loads(out.stdout.strip().splitlines()[-1]))

        def median(what: str, key: str) -> float:
            return statistics.median(run[key] for run in runs[what])

        def spread(what: str, key: str) -> str:
            values = [run[key] for run in runs[what]]
            return f"{min(values):.2f}–{max(values):.2f}"

        read, whole, base = median("importer", "read_check_s"), median("importer", "total_s"), median("baseline", "total_s")
        print(f"runs: {args.repeat} of each, fresh process each; medians, with the range")
        print(f"importer (fastexcel → Arrow, checks, matching, DuckDB): read+check {read:.2f} s "
              f"({spread('importer', 'read_check_s')}), with store {whole:.2f} s ({spread('importer', 'total_s')}), "
              f"{runs['importer'][0]['rows']:,} rows stored, peak RSS {median('importer', 'peak_rss_mb'):.0f} MB")
        print(f"baseline (pandas.read_excel, openpyxl): read {base:.2f} s ({spread('baseline', 'total_s')}), "
              f"peak RSS {median('baseline', 'peak_rss_mb'):.0f} MB")
        print(f"speed-up: {base / whole:.1f}x for the whole import, {base / read:.1f}x for the read and checks "
              f"(aim: import under 5 s and at least 5x faster)")

if __name__ == "__main__":
    main()
