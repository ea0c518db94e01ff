"""Sample data ("Dữ liệu mẫu"): deterministic, plausible monthly counts for two areas.

- `district`: every Mỹ Tú unit of the 2024 plan (data/plans/my-tu-2024.toml), January 2023 to
  December 2024. It exercises the rules a correct dashboard must follow: the inspectorate has no
  dossiers in most months; Phòng Tư pháp is at exactly 90,00% online in June 2024 (45 of 50: not
  "Trên 90"); some units end above target and some below; January to June 2023 have no cashless
  counts; Xã Phú Mỹ's online rate leaps in September 2024 (the "làm thế, làm thay" pattern the
  quality flags catch).
- `province`: a fictional province of 2026 (Tỉnh Hòa Lâm: 15 departments and 100 communes), January
  2025 to October 2026, with a 2026 plan setting on-time, online, cashless and digitised targets and
  no plan for 2025.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from kpi import plan as plans
from kpi.measures import COUNTS
from kpi.plan import Plan

# unit -> (new dossiers a month, online share at the start, online share at the end, fee share
#          [, late share[, share of fee dossiers paid online at the end]])
Profiles = dict[str, tuple[float, ...]]

DISTRICT_PROFILES: Profiles = {
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


@dataclass(frozen=True)
class Sample:
    key: str
    area: str
    level: str  # plan.LEVELS
    plans: Callable[[], list[Plan]]
    months: list[tuple[int, int]]
    profiles: Callable[[], Profiles]
    certifying: Callable[[str], bool]  # units that certify copies
    seed: int
    no_cashless_before: tuple[int, int] | None = None
    pay_from: tuple[int, int] = (0, 0)  # before it, 2% of fee dossiers are paid online
    pay_start: float = 0.0
    exact: dict = field(default_factory=dict)  # (unit, (year, month)) -> (online, new dossiers)
    leaps: dict = field(default_factory=dict)  # (unit, (year, month)) -> online share that month


def _trend(start: float, end: float, i: int, n: int) -> float:
    """From start to end over the months, rising fast at first, as the rollout did."""
    return end - (end - start) * (1 - i / (n - 1)) ** 2


def generate(sample: Sample | None = None) -> pd.DataFrame:
    """[unit, year, month, *COUNTS] for every unit and month; NULL where a count was not reported."""
    sample = sample or SAMPLES["district"]
    rng = np.random.default_rng(sample.seed)
    n, rows = len(sample.months), []
    for unit, (volume, share_start, share_end, fee_share, *more) in sample.profiles().items():
        late_share = more[0] if more else 0.03
        paid_end = more[1] if len(more) > 1 else 0.3 + share_end * 0.4
        pending_before = int(volume * 0.1)
        for i, (year, month) in enumerate(sample.months):
            new = int(rng.poisson(volume))
            share = float(np.clip(_trend(share_start, share_end, i, n) + rng.normal(0, 0.03), 0, 1))
            share = sample.leaps.get((unit, (year, month)), share)
            online = int(rng.binomial(new, share))
            online, new = sample.exact.get((unit, (year, month)), (online, new))
            offline = new - online
            received = new + pending_before
            resolved = int(rng.binomial(received, 0.88))
            late = int(rng.binomial(resolved, late_share))
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
                "digitised": int(rng.binomial(new, _trend(0.3, 0.85, i, n))),
                "apology_letters": int(rng.binomial(late, 0.7)),
            }
            if sample.certifying(unit):
                certification = int(rng.poisson(volume * 0.3))
                row["certification"] = certification
                row["certification_electronic"] = int(rng.binomial(certification, _trend(0.05, 0.5, i, n)))
            else:
                row["certification"] = row["certification_electronic"] = 0
            if sample.no_cashless_before is None or (year, month) >= sample.no_cashless_before:
                fee_online = int(rng.binomial(online, fee_share))
                pay = (_trend(sample.pay_start, paid_end, i, n) if (year, month) >= sample.pay_from
                       else 0.02)
                row["fee_online"] = fee_online
                row["fee_dossiers"] = fee_online + int(rng.binomial(offline, fee_share))
                row["paid_online"] = int(rng.binomial(fee_online, min(pay, 1.0)))
            rows.append(row)
            pending_before = pending
    frame = pd.DataFrame(rows, columns=["unit", "year", "month", *COUNTS])
    return frame.astype({c: "Int64" for c in COUNTS})


# -- the fictional province of 2026 ---------------------------------------------------------------
PROVINCE = "Tỉnh Hòa Lâm"
DEPARTMENTS = "Sở, ban, ngành"
COMMUNES = "Xã, phường, đặc khu"
PROVINCE_DEPARTMENTS = [
    "Sở Nội vụ", "Sở Tư pháp", "Sở Tài chính", "Sở Xây dựng", "Sở Công Thương", "Sở Nông nghiệp và Môi trường",
    "Sở Giáo dục và Đào tạo", "Sở Y tế", "Sở Văn hóa, Thể thao và Du lịch", "Sở Khoa học và Công nghệ",
    "Sở Dân tộc và Tôn giáo", "Sở Ngoại vụ", "Thanh tra tỉnh", "Ban Quản lý các khu công nghiệp", "Công an tỉnh",
]
_SYLLABLES = ["An", "Bình", "Hòa", "Phú", "Tân", "Long", "Mỹ", "Hưng", "Phước", "Thạnh", "Vĩnh", "Xuân", "Quang",
              "Đông", "Tây", "Nam", "Bắc", "Trung", "Thuận", "Lộc", "Đức", "Hải", "Sơn", "Lâm", "Minh", "Hiệp",
              "Thành", "Cát", "Kim", "Ngọc"]


def province_communes(count: int = 100, seed: int = 2026) -> list[str]:
    """Plausible commune names ("Xã Tân Hòa", "Phường Bình Minh", "Đặc khu Hải Sơn"), all different."""
    rng = np.random.default_rng(seed)
    pairs = [(a, b) for a in _SYLLABLES for b in _SYLLABLES if a != b]
    chosen = [pairs[i] for i in rng.choice(len(pairs), size=count, replace=False)]
    kinds = ["Đặc khu"] + ["Phường"] * 19 + ["Xã"] * (count - 20)
    return [f"{kind} {a} {b}" for kind, (a, b) in zip(kinds, chosen)]


def _province_profiles() -> Profiles:
    rng = np.random.default_rng(7)
    profiles: Profiles = {}
    for unit in PROVINCE_DEPARTMENTS + province_communes():
        commune = unit.startswith(("Xã", "Phường", "Đặc khu"))
        volume = float(rng.integers(120, 900) if commune else rng.integers(30, 700))
        end = float(np.clip(rng.normal(0.8 if commune else 0.86, 0.09), 0.45, 0.97))
        profiles[unit] = (volume, max(end - 0.35, 0.1), end, float(rng.uniform(0.2, 0.7)),
                          float(rng.choice([0.004, 0.01, 0.02, 0.035])), float(rng.uniform(0.4, 0.9)))
    return profiles


def _province_plans() -> list[Plan]:
    communes = province_communes()
    units = pd.DataFrame([(u, DEPARTMENTS) for u in PROVINCE_DEPARTMENTS] + [(u, COMMUNES) for u in communes],
                         columns=["unit", "group"])
    where = "Kế hoạch mẫu của tỉnh"
    entries = [(k, "area", PROVINCE, w, where) for k, w in (
        ("online", "Trên 80%"), ("cashless", "Tối thiểu 60%"), ("ontime", "Từ 98% trở lên"),
        ("digitised", "Tối thiểu 90%"))]
    entries += [(k, "group", DEPARTMENTS, w, where) for k, w in (
        ("online", "Tối thiểu 85%"), ("cashless", "Tối thiểu 60%"), ("ontime", "Trên 98%"),
        ("digitised", "Đạt tối thiểu 90%"))]
    entries += [(k, "group", COMMUNES, w, where) for k, w in (
        ("online", "Tối thiểu 75%"), ("cashless", "Ít nhất 50%"), ("ontime", "Từ 98% trở lên"),
        ("digitised", "Tối thiểu 80%"))]
    entries += [("online", "unit", "Công an tỉnh", "Phấn đấu 95%", where),
                ("online", "unit", "Sở Tư pháp", ">= 95", where),
                ("ontime", "unit", "Sở Nông nghiệp và Môi trường", "Không thấp hơn 95%", where)]
    return [Plan(year=2026, name="Kế hoạch 15/KH-UBND năm 2026", area=PROVINCE, units=units,
                 targets=plans.target_rows(entries), groups=[DEPARTMENTS, COMMUNES], document="15/KH-UBND",
                 source="Kế hoạch số 15/KH-UBND ngày 20/01/2026 của UBND tỉnh Hòa Lâm về thúc đẩy dịch vụ công "
                        "trực tuyến năm 2026 (dữ liệu mẫu)")]


SAMPLES: dict[str, Sample] = {
    "district": Sample(
        key="district", area="Huyện Mỹ Tú", level="district", plans=lambda: [plans.load()],
        months=[(y, m) for y in (2023, 2024) for m in range(1, 13)], profiles=lambda: DISTRICT_PROFILES,
        certifying=lambda u: u == "Phòng Tư pháp" or u.startswith(("Xã", "Thị trấn")),
        seed=64,  # the plan's number; any fixed seed keeps the data reproducible
        no_cashless_before=(2023, 7), pay_from=(2024, 1),
        exact={("Phòng Tư pháp", (2024, 6)): (45, 50)}, leaps={("Xã Phú Mỹ", (2024, 9)): 0.99}),
    "province": Sample(
        key="province", area=PROVINCE, level="province", plans=_province_plans,
        months=[(2025, m) for m in range(1, 13)] + [(2026, m) for m in range(1, 11)], profiles=_province_profiles,
        certifying=lambda u: u == "Sở Tư pháp" or u.startswith(("Xã", "Phường", "Đặc khu")),
        seed=2026, pay_from=(2025, 1), pay_start=0.25),
}
