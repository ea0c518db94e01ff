"""A large, realistic database for the benchmarks: a country's communes or a province's units after the
2025 reform (default 3.321 units), months of counts (default 60), written straight into DuckDB.

    python bench/province.py OUT.duckdb [--units 3321] [--months 60]
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpi.measures import COUNTS  # noqa: E402
from kpi.plan import Plan, target_rows  # noqa: E402
from kpi.service import Service, console  # noqa: E402
from kpi.store import Store  # noqa: E402

AREA = "Tỉnh Thử nghiệm"
DEPARTMENTS = ["Sở Tư pháp", "Sở Nội vụ", "Sở Tài chính", "Sở Xây dựng", "Sở Công Thương", "Sở Y tế",
               "Sở Giáo dục và Đào tạo", "Sở Nông nghiệp và Môi trường", "Sở Khoa học và Công nghệ",
               "Sở Văn hóa, Thể thao và Du lịch", "Sở Dân tộc và Tôn giáo", "Sở Ngoại vụ", "Thanh tra tỉnh",
               "Văn phòng UBND tỉnh", "Ban Quản lý các khu công nghiệp"]
SYLLABLES = ["An", "Bình", "Phú", "Tân", "Hòa", "Long", "Mỹ", "Thạnh", "Hưng", "Phước", "Thuận", "Đông", "Tây",
             "Nam", "Bắc", "Trung", "Sơn", "Hà", "Thanh", "Xuân", "Vĩnh", "Quang", "Minh", "Đức", "Lộc", "Thịnh",
             "Hải", "Lâm", "Cát", "Kim", "Phong", "Hiệp", "Nghĩa", "Lợi", "Định", "Khánh", "Thới", "Hội", "Châu",
             "Gia"]
DEPARTMENT, COMMUNE, WARD, ZONE = "Sở, ban, ngành", "Xã", "Phường", "Đặc khu"
TARGETS = [("area", AREA, "online", "Trên 80%"), ("area", AREA, "cashless", "Trên 40%"),
           *(("group", g, kpi, wording) for g in (DEPARTMENT, COMMUNE, WARD, ZONE)
             for kpi, wording in (("online", "Trên 90"), ("cashless", "Tối thiểu 40%")))]
USERS = {"quantri": "admin", "xem": "viewer"}  # each with PASSWORD
PASSWORD = "mat-khau-thu"


def names(units: int) -> pd.DataFrame:
    """The departments, then communes (70%), wards and a few special zones with two- or three-syllable
    names, all different: unit, group."""
    places = (" ".join(p) for n in (2, 3) for p in itertools.permutations(SYLLABLES, n))
    rows = [(d, DEPARTMENT) for d in DEPARTMENTS[:units]]
    for i, place in zip(range(units - len(rows)), places):
        kind = ZONE if i % 250 == 249 else WARD if i % 10 >= 7 else COMMUNE
        rows.append((f"{kind} {place}", kind))
    return pd.DataFrame(rows, columns=["unit", "group"])


def build(path: Path, units: int = 3321, months: int = 60, last: tuple[int, int] = (2026, 10)) -> None:
    """`units` units and `months` months of counts ending at `last`, with a plan for each year."""
    store = Store(path)
    store.migrate()
    listed = names(units)
    end = last[0] * 12 + last[1] - 1
    calendar = [(k // 12, k % 12 + 1) for k in range(end - months + 1, end + 1)]
    entries = [(kpi, level, subject, wording, "bench") for level, subject, kpi, wording in TARGETS]
    for year in sorted({y for y, _ in calendar}):
        store.save_plan(Plan(year=year, name=f"Kế hoạch thử nghiệm năm {year}", area=AREA, source="bench",
                             units=listed, targets=target_rows(entries), groups=[DEPARTMENT, COMMUNE, WARD, ZONE]))
    rng = np.random.default_rng(2026)
    n = len(listed) * len(calendar)
    size = np.repeat(rng.lognormal(4.5, 0.8, len(listed)), len(calendar))  # some units are busy, most are not
    trend = np.tile(np.linspace(0.55, 0.95, len(calendar)), len(listed))  # more online each month
    new = rng.poisson(size)
    online = rng.binomial(new, np.clip(trend + rng.normal(0, 0.08, n), 0, 1))
    carried = rng.poisson(size * 0.1)
    received = new + carried
    pending = rng.binomial(received, 0.08)
    resolved = received - pending
    late = rng.binomial(resolved, 0.03)
    early = rng.binomial(resolved - late, 0.6)
    fee = rng.binomial(new, 0.3)
    fee_online = rng.binomial(np.minimum(fee, online), 0.9)
    frame = pd.DataFrame({
        "unit": np.repeat(listed["unit"], len(calendar)),
        "year": np.tile([y for y, _ in calendar], len(listed)),
        "month": np.tile([m for _, m in calendar], len(listed)),
        "received_online": online, "received_offline": new - online, "carried_over": carried,
        "received": received, "resolved": resolved, "resolved_early": early,
        "resolved_on_time": resolved - late - early, "resolved_late": late,
        "pending": pending, "pending_not_due": pending, "pending_overdue": 0,
        "fee_dossiers": fee, "fee_online": fee_online, "paid_online": rng.binomial(fee_online, 0.7),
    })
    for column in COUNTS:
        if column not in frame:
            frame[column] = pd.NA
    store.import_counts(frame[["unit", "year", "month", *COUNTS]].astype({c: "Int64" for c in COUNTS}),
                        file_name="province.py")
    door = Service(path, console())
    for name, role in USERS.items():
        door.add_user(name, role, PASSWORD)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--units", type=int, default=3321)
    parser.add_argument("--months", type=int, default=60)
    args = parser.parse_args()
    started = time.perf_counter()
    build(args.out, args.units, args.months)
    print(f"{args.units:,} units × {args.months} months in {time.perf_counter() - started:.1f} s: {args.out}")


if __name__ == "__main__":
    main()
