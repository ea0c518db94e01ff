"""Units over time: which units a period lists, in which group and order, and whose counts are
whose. A unit may start in a month, be retired from a month, or be merged into another from a
month; a merged unit's counts then count as its successor's, so that a comparison with earlier
periods sets C against A's plus B's counts. Months are written YYYYMM (202507)."""
from __future__ import annotations

import pandas as pd

from kpi.measures import COUNTS
from kpi.periods import Period


def month_key(year: int, month: int) -> int:
    return year * 100 + month


def month_text(key) -> str:
    """202507 -> '7/2025'."""
    return "" if pd.isna(key) else f"{int(key) % 100}/{int(key) // 100}"


def successors(units: pd.DataFrame, as_of: int) -> dict[int, int]:
    """unit_id -> the unit its counts count for at `as_of`: merged units point, through any chain of
    merges made by then, to the unit they became. Units not merged by then are left out."""
    merged = units[units["successor"].notna() & (units["until"] <= as_of).fillna(False)]
    step = dict(zip(merged["unit_id"].astype(int), merged["successor"].astype(int)))
    final = {}
    for unit in step:
        seen, target = {unit}, step[unit]
        while target in step and target not in seen:
            seen.add(target)
            target = step[target]
        final[unit] = target
    return final


def fold(counts: pd.DataFrame, units: pd.DataFrame, as_of: int) -> pd.DataFrame:
    """Count rows with each merged unit's rows counted as its successor's (summed with the
    successor's own rows of the same month, if it had any)."""
    final = successors(units, as_of)
    if not final or not counts["unit_id"].isin(list(final)).any():
        return counts
    moved = counts.assign(unit_id=counts["unit_id"].map(lambda u: final.get(u, u)))
    summed = moved.groupby(["unit_id", "year", "month"], sort=True)[list(COUNTS)].sum(min_count=1)
    return summed.astype("Int64").reset_index()


def alive(units: pd.DataFrame, first: int, last: int) -> pd.Series:
    """Whether each unit exists in some month between first and last."""
    started = units["since"].isna() | (units["since"] <= last).fillna(False)
    going = units["until"].isna() | (units["until"] > first).fillna(False)
    return (started & going).astype(bool)


def listed(units: pd.DataFrame, plan_roster: pd.DataFrame | None, period: Period, counted: set[int],
           as_of: int | None = None) -> pd.DataFrame:
    """The units a period lists: [unit_id, unit, group, position].

    With a plan: the units it targets and those that have counts in the period; without one, the
    units that exist in the period. Never a unit retired before the period, nor one merged into
    another by `as_of` (by default the period's last month): its counts are its successor's.
    Group and order are the plan's, for a unit it targets; else the unit's own.
    """
    first, last = month_key(period.year, period.first_month), month_key(period.year, period.last_month)
    as_of = as_of or last
    living = units[alive(units, first, last) | units["unit_id"].isin(counted)]
    living = living[~living["unit_id"].isin(list(successors(units, as_of)))]
    if plan_roster is not None and len(plan_roster):
        living = living[living["unit_id"].isin(plan_roster["unit_id"]) | living["unit_id"].isin(counted)]
        own = plan_roster.set_index("unit_id")
        group = living["unit_id"].map(own["group"]).fillna(living["group"])
        position = living["unit_id"].map(own["position"]).astype("Float64").fillna(1_000_000 + living["position"])
        living = living.assign(group=group, position=position)
    return (living[["unit_id", "unit", "group", "position"]].sort_values(["position", "unit_id"], kind="stable")
            .reset_index(drop=True))


def units_table(units: pd.DataFrame, aliases: pd.DataFrame, every: bool = False) -> pd.DataFrame:
    """The unit list as people read it: name, group, from, until, what it became, its other names.
    Units retired or merged are left out unless `every`."""
    shown = units if every else units[units["until"].isna()]
    names = dict(zip(units["unit_id"], units["unit"]))
    others = aliases.groupby("unit")["alias"].agg(lambda a: ", ".join(sorted(a))) if len(aliases) else {}
    return pd.DataFrame({
        "Đơn vị": shown["unit"],
        "Nhóm": shown["group"],
        "Từ tháng": shown["since"].map(month_text),
        "Đến hết tháng": shown["until"].map(lambda k: "" if pd.isna(k) else month_text(_before(int(k)))),
        "Gộp vào": shown["successor"].map(lambda s: names.get(s, "") if pd.notna(s) else ""),
        "Tên khác trong tệp": shown["unit"].map(lambda u: others.get(u, "") if len(aliases) else ""),
    }).reset_index(drop=True)


def _before(key: int) -> int:
    """The month before a YYYYMM month."""
    year, month = divmod(key, 100)
    return year * 100 + month - 1 if month > 1 else (year - 1) * 100 + 12
