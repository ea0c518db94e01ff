"""Sample data ("Dữ liệu mẫu"): deterministic, plausible monthly counts for every Mỹ Tú unit,
January 2023 to December 2024.

It exercises the rules a correct dashboard must follow: the inspectorate has no dossiers in
most months; Phòng Tư pháp is at exactly 90,00% online in June 2024 (45 of 50: not "Trên 90");
some units end above target and some below; January to June 2023 have no cashless counts; Xã
Phú Mỹ's online rate leaps in September 2024 (the "làm thế, làm thay" pattern the quality flags catch).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from kpi.measures import COUNTS

SEED = 64  # the plan's number; any fixed seed keeps the data reproducible
MONTHS = [(y, m) for y in (2023, 2024) for m in range(1, 13)]
NO_CASHLESS_BEFORE = (2023, 7)
EXACT_90 = ("Phòng Tư pháp", (2024, 6), 45, 50)
LEAP = ("Xã Phú Mỹ", (2024, 9), 0.99)  # online share that month

# unit -> (new dossiers a month, online share in Jan 2023, online share in Dec 2024, fee share)
PROFILES: dict[str, tuple[float, float, float, float]] = {
    "Phòng Tài chính – Kế hoạch": (25, 0.40, 0.97, 0.80),
    "Phòng Tài nguyên và Môi trường": (12, 0.20, 0.86, 0.60),
    "Phòng Kinh tế và Hạ tầng": (20, 0.35, 0.95, 0.70),
    "Phòng Nội vụ": (6, 0.30, 0.98, 0.10),
    "Phòng Nông nghiệp và PTNT": (5, 0.10, 0.75, 0.50),
    "Phòng Lao động, Thương binh và Xã hội": (40, 0.30, 0.96, 0.05),
    "Phòng Giáo dục và Đào tạo": (10, 0.45, 0.98, 0.20),
    "Phòng Tư pháp": (30, 0.35, 0.93, 0.40),
    "Phòng Văn hoá và Thông tin": (4, 0.25, 0.90, 0.50),
    "Văn phòng đăng ký đất đai": (180, 0.15, 0.84, 0.90),
    "Thanh tra": (0.4, 0.50, 1.00, 0.00),
    "Thị trấn Huỳnh Hữu Nghĩa": (200, 0.45, 0.97, 0.35),
    "Xã Hưng Phú": (110, 0.35, 0.94, 0.30),
    "Xã Long Hưng": (120, 0.30, 0.88, 0.30),
    "Xã Mỹ Hương": (150, 0.40, 0.96, 0.30),
    "Xã Mỹ Phước": (100, 0.25, 0.83, 0.30),
    "Xã Mỹ Thuận": (90, 0.35, 0.95, 0.30),
    "Xã Mỹ Tú": (95, 0.30, 0.92, 0.30),
    "Xã Phú Mỹ": (85, 0.20, 0.80, 0.30),
    "Xã Thuận Hưng": (105, 0.40, 0.97, 0.30),
    "Công an huyện": (260, 0.50, 0.95, 0.60),
}
CERTIFYING = {"Phòng Tư pháp"} | {u for u in PROFILES if u.startswith(("Xã", "Thị trấn"))}


def _trend(start: float, end: float, i: int) -> float:
    """From start to end over the two years, rising fast at first, as the rollout did."""
    return end - (end - start) * (1 - i / (len(MONTHS) - 1)) ** 2


def generate(seed: int = SEED) -> pd.DataFrame:
    """[unit, year, month, *COUNTS] for every unit and month; NULL where a count was not reported."""
    rng = np.random.default_rng(seed)
    rows = []
    for unit, (volume, share_start, share_end, fee_share) in PROFILES.items():
        pending_before = int(volume * 0.1)
        for i, (year, month) in enumerate(MONTHS):
            new = int(rng.poisson(volume))
            share = float(np.clip(_trend(share_start, share_end, i) + rng.normal(0, 0.03), 0, 1))
            if (unit, (year, month)) == LEAP[:2]:
                share = LEAP[2]
            online = int(rng.binomial(new, share))
            if (unit, (year, month)) == EXACT_90[:2]:
                online, new = EXACT_90[2], EXACT_90[3]
            offline = new - online
            received = new + pending_before
            resolved = int(rng.binomial(received, 0.88))
            late = int(rng.binomial(resolved, 0.03))
            early = int(rng.binomial(resolved - late, 0.6))
            pending = received - resolved
            overdue = int(rng.binomial(pending, 0.05))
            row = {
                "unit": unit, "year": year, "month": month,
                "received": received, "received_online": online, "received_offline": offline,
                "carried_over": pending_before,
                "resolved": resolved, "resolved_early": early, "resolved_on_time": resolved - late - early,
                "resolved_late": late,
                "pending": pending, "pending_not_due": pending - overdue, "pending_overdue": overdue,
                "fully_online": int(rng.binomial(online, 0.4)),
                "digitised": int(rng.binomial(new, _trend(0.3, 0.85, i))),
                "apology_letters": int(rng.binomial(late, 0.7)),
            }
            if unit in CERTIFYING:
                certification = int(rng.poisson(volume * 0.3))
                row["certification"] = certification
                row["certification_electronic"] = int(rng.binomial(certification, _trend(0.05, 0.5, i)))
            else:
                row["certification"] = row["certification_electronic"] = 0
            if (year, month) >= NO_CASHLESS_BEFORE:
                fee_online = int(rng.binomial(online, fee_share))
                pay = _trend(0.0, 0.3 + share_end * 0.4, i) if year == 2024 else 0.02
                row["fee_online"] = fee_online
                row["fee_dossiers"] = fee_online + int(rng.binomial(offline, fee_share))
                row["paid_online"] = int(rng.binomial(fee_online, min(pay, 1.0)))
            rows.append(row)
            pending_before = pending
    frame = pd.DataFrame(rows, columns=["unit", "year", "month", *COUNTS])
    return frame.astype({c: "Int64" for c in COUNTS})
