"""Report speed: the PowerPoint deck, Excel and Word files for a period, and the time per chart image
with one persistent kaleido server against a fresh Chromium for every image.

    python bench/report_bench.py [--images 5]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def images(mode: str, db: Path, count: int) -> dict:
    """Draw `count` chart images in this process, with the persistent server or a Chromium each."""
    import warnings

    from kpi import reports
    from kpi.periods import Period
    from kpi.store import Store

    figure = reports.figures(reports.build(Store(db), Period(2024, 6)))["xep-hang-online"]
    started = time.perf_counter()
    if mode == "server":
        first = time.perf_counter()
        reports.png(figure)  # starts the server and its Chromium
        first = time.perf_counter() - first
        times = []
        for _ in range(count):
            t = time.perf_counter()
            reports.png(figure)
            times.append(time.perf_counter() - t)
    else:
        first, times = 0.0, []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(count):
                t = time.perf_counter()
                figure.to_image(format="png", width=1600, height=figure.layout.height, scale=2)
                times.append(time.perf_counter() - t)
    return {"first": first, "each": sum(times) / len(times), "total": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=5)
    parser.add_argument("--mode", choices=["server", "fresh"])
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(images(args.mode, args.db, args.images)))
        return
    from kpi import reports, setup
    from kpi.periods import Period
    from kpi.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        setup.initialise(Store(db), sample="district")
        for scope in ("month", "year"):
            started = time.perf_counter()
            report = reports.build(Store(db), Period(2024, 12, scope))
            built = time.perf_counter() - started
            timings = {}
            for name, make in (("pptx", reports.to_pptx), ("xlsx", reports.to_xlsx), ("docx", reports.to_docx)):
                t = time.perf_counter()
                size = len(make(report))
                timings[name] = (time.perf_counter() - t, size)
            print(f"{report.period.label:<12} figures {built * 1000:5.0f} ms; " + "; ".join(
                f"{name} {seconds * 1000:5.0f} ms ({size / 1024:.0f} KB)" for name, (seconds, size) in timings.items()))
        results = {}
        for mode in ("server", "fresh"):
            out = subprocess.run([sys.executable, __file__, "--mode", mode, "--db", str(db), "--images",
                                  str(args.images)], capture_output=True, text=True, check=True)
            results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
        server, fresh = results["server"], results["fresh"]
        print(f"chart image, persistent kaleido server: {server['each'] * 1000:.0f} ms each "
              f"(first {server['first'] * 1000:.0f} ms, starting Chromium)")
        print(f"chart image, a fresh Chromium per image: {fresh['each'] * 1000:.0f} ms each")
        print(f"{args.images} images: {server['total']:.1f} s with the server, {fresh['total']:.1f} s without")


if __name__ == "__main__":
    main()
