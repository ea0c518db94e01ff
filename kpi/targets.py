"""Targets in the plan's own words: a comparator and a threshold, met or not met on exact counts."""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from kpi import text

COMPARATORS = {"gt": ">", "ge": "≥"}
LEVELS = {"area": "Toàn địa bàn", "group": "Nhóm", "unit": "Đơn vị"}  # whom a target applies to, on screen

# wording (lower case, without diacritics) -> comparator. A plan may put a verb before it
# ("Đạt tối thiểu 30%", "Phấn đấu 100%", "Đảm bảo 100%"); a bare "100%" means at least.
_VERB = re.compile(r"^(dat|phan dau( dat)?|dam bao( dat)?|bao dam( dat)?|it nhat dat)\s+(?=\S)")
_WORDINGS = (
    (re.compile(r"^(>=|=>|≥|toi thieu( la)?|it nhat( la)?|khong (thap|it) hon|tu)\s*"), "ge"),
    (re.compile(r"^(>|tren|hon|lon hon|cao hon|vuot)\s*"), "gt"),
)
_NUMBER = re.compile(r"^(\d{1,3}(?:[.,]\d+)?)\s*%?\s*(tro len)?$")
EXAMPLES = "«Trên 90», «Tối thiểu 40%», «Từ 98% trở lên», «>= 98» hoặc «100%»"


@dataclass(frozen=True)
class Target:
    comparator: str  # "gt": strictly greater; "ge": at least
    threshold: Fraction  # percent
    wording: str  # as the plan writes it: "Trên 90", "Tối thiểu 40%"

    @classmethod
    def parse(cls, wording: str) -> "Target":
        """'Trên 90', '> 90' -> greater than 90; 'Tối thiểu 40%', 'Đạt tối thiểu 30%', 'từ 98% trở lên',
        '≥ 98', 'Phấn đấu 100%', '100%' -> at least. ValueError, in Vietnamese, for anything else."""
        written = " ".join(str(wording).split())
        plain = _VERB.sub("", text.plain(written).replace("≥", "≥ "))
        comparator = "ge"
        for pattern, comp in _WORDINGS:
            m = pattern.match(plain)
            if m:
                comparator, plain = comp, plain[m.end():]
                break
        number = _NUMBER.match(plain.strip())
        if not number:
            raise ValueError(f"không hiểu mức chỉ tiêu «{written}»: cần dạng {EXAMPLES}")
        threshold = Fraction(number.group(1).replace(",", "."))
        if not 0 <= threshold <= 100:
            raise ValueError(f"mức chỉ tiêu «{written}» nằm ngoài khoảng 0–100%")
        return cls(comparator, threshold, written)

    @property
    def milli(self) -> int:
        return int(self.threshold * SCALE)

    def met(self, numerator, denominator) -> bool | None:
        """Compared on exact counts, so 45 of 50 is exactly 90% and does not meet 'Trên 90'."""
        value = assess(_one(numerator), _one(denominator), _one(self.comparator), _one(self.milli))["met"].iloc[0]
        return None if value is pd.NA else bool(value)

    def needed(self, numerator, denominator) -> int | None:
        """Dossiers of the same denominator that should have counted to meet the target:
        'Trên 90' with 37 of 50 needs 37 + x > 45, so 9. None when there is no rate or no
        number of dossiers can meet it ('Trên 100')."""
        value = assess(_one(numerator), _one(denominator), _one(self.comparator), _one(self.milli))["needed"].iloc[0]
        return None if value is pd.NA else int(value)


SCALE = 1000  # thresholds are kept in thousandths of a percent: comparisons stay integer and exact
_UNIT = 100 * SCALE


def _one(value) -> pd.Series:
    return pd.Series([value], dtype="Int64" if not isinstance(value, str) else "string")


def assess(numerator: pd.Series, denominator: pd.Series, comparator: pd.Series,
           threshold_milli: pd.Series) -> pd.DataFrame:
    """Met / not met and dossiers still needed, row by row, in exact integer arithmetic.

    Both are NA where there is no rate (no counts, or a zero denominator) or no target.
    """
    def known(values, dtype: str) -> tuple[np.ndarray, np.ndarray]:
        array = pd.array(values, dtype=dtype)
        return array.to_numpy(dtype="int64", na_value=0), ~array.isna()

    (num, has_num), (den, has_den), (thr, has_thr) = (known(v, "Int64") for v in (numerator, denominator,
                                                                                    threshold_milli))
    comp = pd.array(comparator, dtype="string")
    strict = (comp == "gt").to_numpy(dtype=bool, na_value=False)
    valid = (den > 0) & has_num & has_den & has_thr & ~comp.isna()
    share, bar = num * _UNIT, thr * den  # rate > threshold  <=>  num * 100 * SCALE > threshold_milli * den
    met = np.where(strict, share > bar, share >= bar)
    gap = bar - share  # in 1/_UNIT of a dossier
    needed = np.maximum(np.where(strict, gap // _UNIT + 1, -((-gap) // _UNIT)), 0)
    return pd.DataFrame({
        "met": pd.arrays.BooleanArray(met, ~valid),
        "needed": pd.arrays.IntegerArray(needed, ~(valid & (num + needed <= den))),
    })


def wording(targets: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """The target of each row's unit and KPI: the unit's own, else its group's; NA where there is none.

    targets: [kpi, level ('unit'|'group'|'area'), subject, wording]; rows: [unit, group, kpi].
    """
    def by_subject(level: str) -> dict:
        chosen = targets[targets["level"] == level]  # the first of two rows for one subject and KPI
        return dict(reversed(list(zip(zip(chosen["subject"], chosen["kpi"]), chosen["wording"]))))

    own, grp = by_subject("unit"), by_subject("group")
    units, groups, kpis = (rows[c].tolist() for c in ("unit", "group", "kpi"))  # plain strings: quick to look up
    return pd.Series([own.get((u, k), grp.get((g, k))) for u, g, k in zip(units, groups, kpis)], index=rows.index,
                     dtype="str")
