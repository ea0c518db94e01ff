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
STEP = 6  # months summed at a time: a few MB at once, not a copy of every month


@dataclass(frozen=True)
class Cube:
    """Every stored count: values[month, unit, count] (NaN where NULL or no row), present[month, unit] (a row
    is stored); months as year * 100 + month and unit_ids, both ascending. Read-only: shared by every page."""
    months: np.ndarray
    unit_ids: np.ndarray
    values: np.ndarray
    present: np.ndarray

    @classmethod
    def of(cls, months: np.ndarray, unit_ids: np.ndarray, biggest: int, batches) -> "Cube":
        """From the stored months and units (ascending), the largest count stored, and the rows in Arrow batches:
        unit_id, year, month and each count (NULL where unknown)."""
        values = np.full((len(months), len(unit_ids), len(COUNTS)), np.nan,
                         dtype=np.float32 if biggest <= EXACT else np.float64)
        present = np.zeros((len(months), len(unit_ids)), dtype=bool)
        for batch in batches:
            column = {name: batch.column(i) for i, name in enumerate(batch.schema.names)}
            keys = column["year"].to_numpy().astype(np.int64) * 100 + column["month"].to_numpy()
            at = (np.searchsorted(months, keys), np.searchsorted(unit_ids, column["unit_id"].to_numpy()))
            present[at] = True
            for i, count in enumerate(COUNTS):
                values[at[0], at[1], i] = column[count].to_numpy(zero_copy_only=False)  # NULL: NaN
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
    unit_ids = np.union1d(cube.unit_ids, np.array(list(merged.values()), dtype=np.int64))
    place = np.searchsorted(unit_ids, cube.unit_ids)  # each stored unit's place among them
    parts = {f"{name}|{part}": np.zeros(len(unit_ids)) for name in ratios for part in "nd"}
    known_any = {name: np.zeros(len(unit_ids), dtype=bool) for name in ratios}
    has = np.zeros((len(unit_ids), len(COUNTS)), dtype=np.int64)
    listed = np.zeros(len(unit_ids), dtype=bool)  # units with a row in the period
    by_month = []
    for start in range(0, len(chosen), STEP):
        step = chosen[start:start + STEP]
        values = np.full((len(step), len(unit_ids), len(COUNTS)), np.nan)
        values[:, place, :] = cube.values[step]
        present = np.zeros((len(step), len(unit_ids)), dtype=bool)
        present[:, place] = cube.present[step]
        if merged:
            _fold(values, present, unit_ids, merged)
        listed |= present.any(axis=0)
        counted = ~np.isnan(values)
        has += counted.sum(axis=0)
        month = {"year": cube.months[step] // 100, "month": cube.months[step] % 100}
        for name, (n, d) in _totals(values, ratios).items():
            known = ~(np.isnan(n) | np.isnan(d))
            known_any[name] |= known.any(axis=0)
            for part, value in (("n", n), ("d", d)):
                kept = np.where(known, value, 0)
                parts[f"{name}|{part}"] += kept.sum(axis=0)
                month[f"{name}|{part}"] = _nullable(kept.sum(axis=1), known.any(axis=1))
            month[f"{name}|k"] = known.sum(axis=1)
        month.update({f"has|{c}": counted[:, :, i].sum(axis=1) for i, c in enumerate(COUNTS)})
        by_month.append(pd.DataFrame(month)[present.any(axis=1)])  # months with a row
    by_unit = {"unit_id": unit_ids[listed]}
    by_unit.update({column: _nullable(total[listed], known_any[column.split("|")[0]][listed])
                    for column, total in parts.items()})
    by_unit.update({f"has|{c}": has[listed, i] for i, c in enumerate(COUNTS)})
    months_frame = (pd.concat(by_month, ignore_index=True) if by_month else pd.DataFrame(
        {column: pd.array([], dtype="Int64" if column in parts else "int64")
         for column in ["year", "month", *parts, *(f"{n}|k" for n in ratios), *(f"has|{c}" for c in COUNTS)]}))
    return pd.DataFrame(by_unit), months_frame


def _fold(values: np.ndarray, present: np.ndarray, unit_ids: np.ndarray, merged: dict[int, int]) -> None:
    """Each merged unit's own months added to its successor's, in place (a count is NULL only where every part is):
    moved first, then added, so that the order of the merges does not matter."""
    at = {u: i for i, u in enumerate(unit_ids.tolist())}
    moves = [(at[unit], at[successor]) for unit, successor in merged.items() if unit != successor and unit in at]
    moved = [i for i, _ in moves]
    parts, were = values[:, moved, :].copy(), present[:, moved].copy()
    values[:, moved, :], present[:, moved] = np.nan, False
    for k, (_, j) in enumerate(moves):
        part, whole = parts[:, k, :], values[:, j, :]
        values[:, j, :] = np.where(np.isnan(part) & np.isnan(whole), np.nan, np.nan_to_num(part) + np.nan_to_num(whole))
        present[:, j] |= were[:, k]


def _totals(values: np.ndarray, ratios: dict[str, measures.Ratio]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each ratio's numerator and denominator for every unit-month: NaN where one of their counts is NULL."""
    column = {c: values[:, :, i] for i, c in enumerate(COUNTS)}
    return {name: (sum(column[c] for c in r.numerator), sum(column[c] for c in r.denominator))
            for name, r in ratios.items()}


def _nullable(sums: np.ndarray, known: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.rint(sums).astype(np.int64), ~known)
