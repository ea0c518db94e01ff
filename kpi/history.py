"""Month by month: the area's trend, each unit's monthly rates and its rank in every month."""
from __future__ import annotations

import pandas as pd

from kpi import measures, roster
from kpi.store import Store


def window(store: Store, last: tuple[int, int] | None, months: int | None = 36) -> list[tuple[int, int]]:
    """The stored months up to `last` (None: every one), at most `months` of them (None: all)."""
    found = [m for m in store.months() if last is None or m <= last]
    return found[-months:] if months else found


def area(by_month: pd.DataFrame, definitions: dict[int, dict[str, str]]) -> pd.DataFrame:
    """The area's rates month by month, as `trend` gives them from a panel, from the months' sums
    (Store.month_sums, no frame of every unit's months in between), each month counted by its year's plan:
    [year, month, kpi, numerator, denominator, rate]."""
    parts = []
    for kpi in measures.CATALOGUE:
        names = [f"{kpi.key}:{definitions.get(int(year), {}).get(kpi.key, kpi.default_variant)}"
                 for year in by_month["year"]]
        picked = {part: pd.array([by_month.at[i, f"{name}|{part[0]}"] for i, name in zip(by_month.index, names)],
                                 dtype="Int64") for part in ("numerator", "denominator")}
        parts.append(pd.DataFrame({"year": by_month["year"], "month": by_month["month"], "kpi": kpi.key, **picked}))
    out = pd.concat(parts, ignore_index=True)
    out["rate"] = measures.rate(out["numerator"], out["denominator"])
    return out.sort_values(["kpi", "year", "month"]).reset_index(drop=True)


def last_months(monthly: pd.DataFrame, last: tuple[int, int], span: int) -> pd.DataFrame:
    """Rows of month-by-month figures ([year, month, …]) for the `span` months with figures up to `last`."""
    keys = monthly["year"].astype(int) * 100 + monthly["month"].astype(int)
    kept = sorted(set(keys[keys <= last[0] * 100 + last[1]]))[-span:]
    return monthly[keys.isin(kept)].reset_index(drop=True)


def panel(counts: pd.DataFrame, units: pd.DataFrame, definitions: dict[int, dict[str, str]],
          as_of: tuple[int, int] | None = None, kpis: tuple[measures.Kpi, ...] = measures.CATALOGUE) -> pd.DataFrame:
    """Every unit's KPIs in every month: [unit, group, year, month, kpi, numerator, denominator, rate].

    Each month is counted by the definitions of its year's plan (definitions: year -> kpi -> variant);
    a unit merged into another by `as_of` (year, month) counts as the unit it became; `kpis`: these alone."""
    if as_of:
        counts = roster.fold(counts, units, roster.month_key(*as_of))
    rows = counts.merge(units[["unit_id", "unit", "group"]], on="unit_id")  # one row per unit and month
    keys = ["unit", "group", "year", "month"]
    counted = {}  # the years counted each way: most often every year alike, one pass
    for year in rows["year"].unique():
        chosen = definitions.get(int(year), {})
        counted.setdefault(tuple(sorted(chosen.items())), []).append(year)
    if len(counted) <= 1:
        return measures.row_rates(rows, keys, dict(next(iter(counted), ())), kpis)
    return pd.concat([measures.row_rates(rows[rows["year"].isin(years)], keys, dict(way), kpis)
                      for way, years in counted.items()], ignore_index=True)


def trend(monthly: pd.DataFrame, group: str | None = None) -> pd.DataFrame:
    """The area's (or a group's) rates month by month, from summed counts."""
    rows = monthly if group is None else monthly[monthly["group"] == group]
    out = measures.combine(rows[["year", "month", "kpi", "numerator", "denominator"]], ["year", "month"])
    return out.sort_values(["kpi", "year", "month"]).reset_index(drop=True)


def ranks(monthly: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """Each unit's rank among all units and within its group, month by month (ties share a rank)."""
    rows = monthly[monthly["kpi"] == kpi].copy()
    rows["rank"] = rows.groupby(["year", "month"])["rate"].rank(method="min", ascending=False).astype("Int64")
    rows["group_rank"] = (rows.groupby(["year", "month", "group"])["rate"]
                          .rank(method="min", ascending=False).astype("Int64"))
    rows["ranked"] = rows.groupby(["year", "month"])["rate"].transform("count")
    return rows.sort_values(["unit", "year", "month"]).reset_index(drop=True)


def definition_breaks(monthly: pd.DataFrame, definitions: dict[int, dict[str, str]],
                      kpis: list[str]) -> list[tuple[int, str]]:
    """(year, text) for each year of `monthly` whose plan counts one of `kpis` otherwise than the year
    before's: a trend across it is not like for like, and the chart says so."""
    years = sorted({int(y) for y in monthly["year"]})
    breaks = []
    for before, year in zip(years, years[1:]):
        changed = [measures.get(k).short.lower() for k in kpis
                   if measures.get(k).ratio(definitions.get(before, {})) != measures.get(k).ratio(definitions.get(year, {}))]
        if changed:
            breaks.append((year, f"Từ 01/{year}: {', '.join(changed)} tính theo cách khác"))
    return breaks
