"""A period's counts summed for every definition of every KPI, by unit and by month, in numpy from every
stored unit-month held once per data version (Store.counts_cube): a page's scorecard needs no query of its own.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kpi import measures
from kpi.measures import COUNTS

EXACT = 2 ** 24  # counts up to this are held exactly as float32


@dataclass(frozen=True)
class Cube:
    """Every stored count: values[month, unit, count] (NaN where NULL or no row), present[month, unit] (a row
    is stored); months as year * 100 + month and unit_ids, both ascending. Read-only: shared by every page."""
    months: np.ndarray
    unit_ids: np.ndarray
    values: np.ndarray
    present: np.ndarray

    @classmethod
    def of(cls, rows: dict[str, np.ndarray]) -> "Cube":
        """From the stored rows: unit_id, year, month and each count (numpy arrays, masked where NULL)."""
        keys = np.asarray(rows["year"], dtype=np.int64) * 100 + np.asarray(rows["month"], dtype=np.int64)
        unit = np.asarray(rows["unit_id"], dtype=np.int64)
        months, unit_ids = np.unique(keys), np.unique(unit)
        counts = [np.ma.asarray(rows[c]) for c in COUNTS]
        biggest = max((int(c.max()) for c in counts if c.count()), default=0)
        values = np.full((len(months), len(unit_ids), len(COUNTS)), np.nan,
                         dtype=np.float32 if biggest <= EXACT else np.float64)
        present = np.zeros((len(months), len(unit_ids)), dtype=bool)
        at = (np.searchsorted(months, keys), np.searchsorted(unit_ids, unit))
        for i, column in enumerate(counts):
            values[at[0], at[1], i] = np.ma.filled(column.astype(values.dtype), np.nan)
        present[at] = True
        for array in (months, unit_ids, values, present):
            array.flags.writeable = False
        return cls(months, unit_ids, values, present)


def period(cube: Cube, months: list[tuple[int, int]], ratios: dict[str, measures.Ratio],
           merged: dict[int, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Store.period_sums: rows of a unit merged into another (`merged`: unit_id -> successor) first added to the
    successor's of the same month; then a unit-month counts towards a ratio only when its numerator and
    denominator are both known. Returns (by unit, by month), as Store.period_sums says."""
    keys = np.array([y * 100 + m for y, m in months], dtype=np.int64)
    chosen = np.flatnonzero(np.isin(cube.months, keys))
    values, present, unit_ids = cube.values[chosen].astype(np.float64), cube.present[chosen], cube.unit_ids
    if merged:
        values, present, unit_ids = _fold(values, present, unit_ids, merged)
    listed = present.any(axis=0)  # units with a row in the period
    totals = _totals(values, ratios)
    known = {name: ~(np.isnan(n) | np.isnan(d)) for name, (n, d) in totals.items()}
    counted = ~np.isnan(values)
    by_unit = {"unit_id": unit_ids[listed]}
    by_month = {"year": cube.months[chosen] // 100, "month": cube.months[chosen] % 100}
    for name, (n, d) in totals.items():
        for part, value in (("n", n), ("d", d)):
            kept = np.where(known[name], value, 0)
            by_unit[f"{name}|{part}"] = _nullable(kept.sum(axis=0)[listed], known[name].any(axis=0)[listed])
            by_month[f"{name}|{part}"] = _nullable(kept.sum(axis=1), known[name].any(axis=1))
    for name in totals:
        by_month[f"{name}|k"] = known[name].sum(axis=1)
    for i, count in enumerate(COUNTS):
        by_unit[f"has|{count}"] = counted[:, listed, i].sum(axis=0)
        by_month[f"has|{count}"] = counted[:, :, i].sum(axis=1)
    rows = present.any(axis=1)  # months with a row
    return pd.DataFrame(by_unit), pd.DataFrame(by_month)[rows].reset_index(drop=True)


def _fold(values: np.ndarray, present: np.ndarray, unit_ids: np.ndarray,
          merged: dict[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each merged unit's months added to its successor's (a count is NULL only where every part is)."""
    successors = np.setdiff1d(np.array(list(merged.values()), dtype=np.int64), unit_ids)
    if len(successors):  # a successor without rows of its own yet
        unit_ids = np.concatenate([unit_ids, successors])
        values = np.concatenate([values, np.full((values.shape[0], len(successors), values.shape[2]), np.nan)], axis=1)
        present = np.concatenate([present, np.zeros((present.shape[0], len(successors)), dtype=bool)], axis=1)
    else:
        values, present = values.copy(), present.copy()
    at = {u: i for i, u in enumerate(unit_ids.tolist())}
    for unit, successor in merged.items():
        if unit not in at or unit == successor:
            continue
        i, j = at[unit], at[successor]
        part, whole = values[:, i, :], values[:, j, :]
        values[:, j, :] = np.where(np.isnan(part) & np.isnan(whole), np.nan, np.nan_to_num(part) + np.nan_to_num(whole))
        present[:, j] |= present[:, i]
        values[:, i, :], present[:, i] = np.nan, False
    order = np.argsort(unit_ids, kind="stable")
    return values[:, order, :], present[:, order], unit_ids[order]


def _totals(values: np.ndarray, ratios: dict[str, measures.Ratio]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each ratio's numerator and denominator for every unit-month: NaN where one of their counts is NULL."""
    column = {c: values[:, :, i] for i, c in enumerate(COUNTS)}
    return {name: (sum(column[c] for c in r.numerator), sum(column[c] for c in r.denominator))
            for name, r in ratios.items()}


def _nullable(sums: np.ndarray, known: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.rint(sums).astype(np.int64), ~known)
