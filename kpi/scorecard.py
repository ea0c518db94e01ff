"""Every unit's and the area's KPIs for a period against a plan: what pages, the CLI and the
reports show."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kpi import fmt, measures, roster, targets, text
from kpi.periods import Period
from kpi.plan import TARGET_COLUMNS, no_plan
from kpi.store import Store

# status of a unit for a KPI
MET, NOT_MET, NO_TARGET, NO_DOSSIERS, NO_DATA = "met", "not_met", "no_target", "no_dossiers", "no_data"
OTHER_DEFINITION = "other_definition"  # no data for the plan's definition, data for another
NEAR_POINTS = 5  # a unit not meeting its target by at most this many points is shown amber, not red
STATUS_LABELS = {
    MET: "Đạt",
    NOT_MET: "Chưa đạt",
    NO_TARGET: "Không có chỉ tiêu",
    NO_DOSSIERS: "Không phát sinh hồ sơ",
    NO_DATA: "Chưa có số liệu",
    OTHER_DEFINITION: "Có số liệu theo định nghĩa khác",
}


@dataclass(frozen=True)
class Ahead:
    """What units below target still need by the end of a period whose last months are not in yet, if each keeps
    receiving as many dossiers a month as it has so far: `units` has unit, expected (dossiers still to come),
    needed (of them, of the KPI's kind; NA when even all of them would not do) and per_month."""
    kpi: str
    until: tuple[int, int]  # (year, month) the period ends
    months_left: int
    units: pd.DataFrame

    @property
    def heading(self) -> str:
        return f"Từ nay đến hết {self.until[1]}/{self.until[0]}"

    def said(self) -> pd.Series:
        """"37 (13/tháng)", or that the target is out of reach at today's volume, by unit."""
        return pd.Series([fmt.MISSING if pd.isna(e) else "Không thể đạt" if pd.isna(n) else
                          f"{fmt.number(n)} ({fmt.number(p)}/tháng)" if self.months_left > 1 else fmt.number(n)
                          for e, n, p in zip(self.units["expected"], self.units["needed"], self.units["per_month"])],
                         index=self.units["unit"])

    @property
    def help(self) -> str:
        k = measures.get(self.kpi)
        return (f"«{self.heading}»: số {k.counted} cần có trong {self.months_left} tháng còn lại để tỷ lệ tính đến "
                f"hết tháng {self.until[1]}/{self.until[0]} đạt chỉ tiêu, nếu mỗi tháng đơn vị tiếp nhận bằng bình quân "
                f"các tháng đã có; «Không thể đạt»: không đạt được kể cả khi mọi hồ sơ còn lại đều là {k.counted}.")


@dataclass(frozen=True)
class Scorecard:
    period: Period
    area: str
    plan: dict | None  # the plan of the period's year (plan_id, name, year, document, source), or None
    sums: pd.DataFrame  # a row per unit and KPI: unit, group, position, kpi, numerator, denominator, rate
    target_table: pd.DataFrame  # the plan's targets: kpi, level, subject, comparator, threshold, wording
    definitions: dict[str, str]  # the denominator variant of each KPI the plan sets (else the catalogue's default)
    sample: bool  # built on "Dữ liệu mẫu"
    months_present: list[tuple[int, int]]  # the period's months that have counts
    given: frozenset[str] = frozenset()  # the counts some unit has for the period
    windows: tuple = ()  # (year, month, first day, last day) of months imported from a dated window
    kpi_months: dict = None  # kpi -> the period's months in which some unit has its counts
    instead_found: tuple = ()  # measures.Instead for each KPI some units have data for only under another definition
    counted_otherwise: frozenset = frozenset()  # (unit, kpi) of those units
    _memo: dict = field(default_factory=dict, compare=False, repr=False)  # rankings and totals, made once each

    def _once(self, key: tuple, make):
        """A table (or dict) this card has made before (a page asks for the same ranking many times), as a fresh
        copy."""
        if key not in self._memo:
            self._memo[key] = make()
        made = self._memo[key]
        return made.copy(deep=False) if isinstance(made, pd.DataFrame) else made.copy()

    @property
    def units(self) -> pd.DataFrame:
        """The sums judged: a row per unit and KPI with, besides, target, met, needed, threshold, gap, figure,
        shown, status and band. Made when first asked for: a card a period is only compared with needs its
        sums alone."""
        return self._once(("units",), lambda: self._judged(self.sums))

    def judged(self, kpi: str | None = None, unit: str | None = None) -> pd.DataFrame:
        """The rows of `units` of a KPI, or of a unit: judged alone while `units` is not made (a ranking needs its
        KPI's verdicts, a unit's page its own, not every unit's of every KPI)."""
        def rows(table: pd.DataFrame) -> pd.DataFrame:  # `units` keeps the rows of `sums` in their order
            chosen = self._rows(kpi) if kpi else np.arange(len(table))
            if unit:
                chosen = chosen[(table["unit"].to_numpy()[chosen] == unit)]
            return table.take(chosen).reset_index(drop=True)

        made = ("units",) in self._memo
        return self._once(("judged", kpi, unit), lambda: rows(self.units) if made else self._judged(rows(self.sums)))

    def judge(self, kpis: list[str]) -> None:
        """Several KPIs judged in one pass and kept as `judged(kpi)` gives them: a pass costs mostly pandas' own
        overhead, whatever its rows (the overview judges three KPIs of a card in the time of two)."""
        todo = [k for k in dict.fromkeys(kpis) if ("judged", k, None) not in self._memo]
        if not todo or ("units",) in self._memo:
            return
        table = self._judged(self.sums.take(np.concatenate([self._rows(k) for k in todo])).reset_index(drop=True))
        start = 0
        for kpi in todo:
            end = start + len(self._rows(kpi))
            self._memo[("judged", kpi, None)] = table.iloc[start:end].reset_index(drop=True)
            start = end

    def _rows(self, kpi: str) -> np.ndarray:
        """The positions of a KPI's rows in `sums`, found once for every KPI (comparing 30.000 texts for each
        question cost more than the question)."""
        if "rows of" not in self._memo:
            self._memo["rows of"] = self.sums.groupby("kpi", sort=False).indices
        return self._memo["rows of"].get(kpi, np.empty(0, dtype=np.intp))

    def _judged(self, sums: pd.DataFrame) -> pd.DataFrame:
        table = _assess(sums.assign(target=targets.wording(self.target_table, sums)), self.target_table)
        table["status"] = _status(table)
        if self.counted_otherwise:
            pairs = pd.MultiIndex.from_arrays([table["unit"], table["kpi"]])
            table.loc[pairs.isin(list(self.counted_otherwise)), "status"] = OTHER_DEFINITION
        table["band"] = _band(table)
        return table

    def coverage(self, kpi: str) -> dict:
        """What a KPI's figures for the period cover: units with data of units expected, months with
        data of months in the period, and whether that is all of them."""
        return self._once(("coverage", kpi), lambda: self._coverage(kpi))

    def _coverage(self, kpi: str) -> dict:
        rows = self.sums.take(self._rows(kpi))
        months = (self.kpi_months or {}).get(kpi, [])
        out = {"units": int(rows["denominator"].notna().sum()), "units_expected": len(rows),
               "months": len(months), "months_expected": len(self.period.months()), "month_list": months}
        out["complete"] = out["units"] == out["units_expected"] and out["months"] == out["months_expected"]
        return out

    def coverage_said(self, kpi: str) -> str | None:
        """"Số liệu của 9/21 đơn vị, 7/12 tháng (thiếu tháng 1–5/2025)" when the figures do not cover every
        unit and month; None when they do."""
        c = self.coverage(kpi)
        if c["complete"]:
            return None
        parts = [f"{fmt.number(c['units'])}/{fmt.number(c['units_expected'])} đơn vị"]
        if c["months_expected"] > 1 or not c["months"]:
            have = set(c["month_list"])
            missing = [(y, m) for y, m in self.period.months() if (y, m) not in have]
            parts.append(f"{c['months']}/{c['months_expected']} tháng"
                         + (f" (thiếu tháng {fmt.months(missing)})" if missing else ""))
        return "Số liệu của " + ", ".join(parts)

    def same_scope(self, other: "Scorecard", kpi: str) -> str | None:
        """None when two periods' figures of a KPI cover as many units and months each; else what differs,
        said beside a change figure ("kỳ đó: 21/21 đơn vị, 1/1 tháng")."""
        a, b = self.coverage(kpi), other.coverage(kpi)
        if (a["units"] == a["units_expected"]) == (b["units"] == b["units_expected"]) and a["units"] == b["units"] \
                and (a["months"] == a["months_expected"]) == (b["months"] == b["months_expected"]):
            return None
        return (f"không cùng phạm vi: kỳ này {a['units']}/{a['units_expected']} đơn vị, {a['months']}/"
                f"{a['months_expected']} tháng; kỳ đó {b['units']}/{b['units_expected']} đơn vị, {b['months']}/"
                f"{b['months_expected']} tháng")

    @property
    def whole_area(self) -> bool:
        """Whether every KPI with data covers every unit and month: only then is a figure the whole area's."""
        return all(self.coverage(k)["complete"] for k in self.kpis_with_data() if self.coverage(k)["units"])

    @property
    def windows_said(self) -> str | None:
        """"tháng 10/2025: 21/09–20/10/2025": the reporting windows behind the period's months."""
        if not self.windows:
            return None
        return "; ".join(f"tháng {m}/{y}: {fmt.window_label(first, last)}" for y, m, first, last in self.windows)

    def instead(self) -> list[measures.Instead]:
        """KPIs the plan's definition leaves without data for some units while another definition has it."""
        return list(self.instead_found)

    @property
    def plan_name(self) -> str:
        """The plan's name, or that the year has none ("Chưa có kế hoạch năm 2025")."""
        return self.plan["name"] if self.plan else no_plan(self.period.year)

    def kpis_judged(self) -> list[str]:
        """online and cashless, and every KPI the plan sets a target for (for the unit, a group or the area)."""
        targeted = set(self.target_table["kpi"]) if len(self.target_table) else set()
        return [k.key for k in measures.CATALOGUE if k.key in measures.ALWAYS_SHOWN or k.key in targeted]

    def kpis_on_cards(self) -> list[str]:
        """The overview's cards: every KPI judged (kpis_judged), and the on-time rate whenever there are counts
        for it."""
        judged, with_data = self.kpis_judged(), self.kpis_with_data()
        return [k for k in measures.KPIS if k in judged or (k == "ontime" and k in with_data)]

    def kpis_with_data(self) -> list[str]:
        """online and cashless, and every other KPI some unit has counts for."""
        has = set(self.sums.loc[self.sums["denominator"].notna(), "kpi"].unique())
        return [k.key for k in measures.CATALOGUE if k.key in measures.ALWAYS_SHOWN or k.key in has]

    def ranking(self, kpi: str, group: str | None = None) -> pd.DataFrame:
        """One row per unit for `kpi`, best first; ties share a rank (1, 2, 2, 4) and keep the
        plan's order; units without a rate come after, unranked: those without dossiers, then
        those without data."""
        return self._once(("ranking", kpi, group), lambda: self._ranking(kpi, group))

    def _ranking(self, kpi: str, group: str | None) -> pd.DataFrame:
        rows = self._of_group(kpi, group).copy()
        rows["rank"] = rows["figure"].rank(method="min", ascending=False).astype("Int64")  # as shown
        rows["_unranked"] = rows["status"].map({NO_DOSSIERS: 1, OTHER_DEFINITION: 2, NO_DATA: 3}).fillna(0)
        return (rows.sort_values(["rank", "_unranked", "position"], na_position="last", kind="stable")
                .drop(columns="_unranked").reset_index(drop=True))

    def _of_group(self, kpi: str, group: str | None) -> pd.DataFrame:
        """A KPI's judged rows (of a group) in the plan's order: what the ranking ranks, and what needs no ranks."""
        rows = self.judged(measures.get(kpi).key)
        return rows[rows["group"] == group] if group else rows

    def met_count(self, kpi: str, group: str | None = None) -> tuple[int, int]:
        """(units meeting the target, units with a verdict) for a KPI: '14/21 đơn vị đạt'."""
        status = self._of_group(kpi, group)["status"]
        return int((status == MET).sum()), int(status.isin([MET, NOT_MET]).sum())

    def below_target(self, kpi: str, limit: int | None = None, group: str | None = None) -> pd.DataFrame:
        """Units (of a group) not meeting the target, furthest below first; among equals, as the ranking orders
        them (the higher figure, then the plan's order)."""
        rows = self._of_group(kpi, group)
        rows = rows[rows["status"] == NOT_MET].sort_values(["gap", "needed", "figure"], ascending=False,
                                                            kind="stable")
        return rows.head(limit) if limit else rows

    def ahead(self, kpi: str) -> Ahead | None:
        """The units below target and what they need by the period's end (a year-to-date's: its year's end) at
        today's volume; None when no month of it is left, or no unit is below target."""
        until = 12 if self.period.scope == "ytd" else self.period.last_month
        seen = [m for y, m in (self.kpi_months or {}).get(kpi, []) if y == self.period.year]
        below = self.below_target(kpi)
        if not seen or until <= max(seen) or below.empty:
            return None
        left = until - max(seen)
        # dossiers still to come at the unit's pace so far, halves rounded up as everywhere
        expected = np.floor(below["denominator"].astype("Float64") * left / len(seen) + 0.5).astype("Int64")
        then = targets.assess(below["numerator"], below["denominator"] + expected, below["comparator"],
                              (below["threshold"] * targets.SCALE).round())
        needed = then["needed"].set_axis(below.index)
        needed = needed.where(needed <= expected)  # only dossiers still to come can be of the KPI's kind
        units = pd.DataFrame({"unit": below["unit"], "expected": expected, "needed": needed,
                              "per_month": -(-needed // left)})
        return Ahead(kpi, (self.period.year, until), left, units.reset_index(drop=True))

    def none_below(self, kpi: str) -> tuple[bool, str]:
        """When no unit is below target for a KPI: (whether that is good news, the sentence saying why)."""
        met, assessed = self.met_count(kpi)
        if self.plan is None:
            return False, f"{self.plan_name}: không đánh giá đơn vị nào đạt hay chưa đạt."
        if not assessed:
            has_target = self.judged(kpi)["target"].notna().any()
            return False, ("Chưa có đơn vị nào có hồ sơ để đánh giá." if has_target else
                           "Kế hoạch không đặt chỉ tiêu này cho đơn vị nào.")
        return True, "Mọi đơn vị có hồ sơ đều đạt chỉ tiêu."

    def totals(self, group: str | None = None) -> pd.DataFrame:
        """A row per KPI for the whole area, or one group: kpi, numerator, denominator, rate,
        target, met. Sums of the units' counts, against the area's (or group's) own target."""
        return self._once(("totals", group), lambda: self._totals(group))

    def _totals(self, group: str | None) -> pd.DataFrame:
        """As measures.combine, in numpy over each KPI's rows: exact integer sums, NA where no unit gave the
        counts."""
        in_group = None if group is None else (self.sums["group"] == group).to_numpy()
        summed = {}
        for column in ("numerator", "denominator"):
            values = self.sums[column].to_numpy(dtype="int64", na_value=0)
            known = self.sums[column].notna().to_numpy()
            sums = []
            for kpi in measures.KPIS:  # every KPI, even for an area without units
                at = self._rows(kpi)
                at = at if in_group is None else at[in_group[at]]
                sums.append(int(values[at].sum()) if known[at].any() else None)
            summed[column] = pd.array(sums, dtype="Int64")
        total = pd.DataFrame({"kpi": list(measures.KPIS), **summed})
        total["rate"] = measures.rate(total["numerator"], total["denominator"])
        level = self.target_table[(self.target_table["level"] == ("area" if group is None else "group"))
                                  & ((group is None) | (self.target_table["subject"] == group))]
        total["target"] = total["kpi"].map(dict(zip(level["kpi"], level["wording"])))
        return _assess(total, self.target_table).drop(columns="needed")


def fields_table(fields: pd.DataFrame) -> pd.DataFrame:
    """A unit's rates by field (Service.fields) with Vietnamese headings and numbers."""
    return pd.DataFrame({
        "Lĩnh vực": fields["field"],
        "Tiếp nhận": fields["received"].map(fmt.number),
        "Trực tuyến": [f"{fmt.number(n)}/{fmt.number(d)}" for n, d in
                       zip(fields["online_numerator"], fields["online_denominator"])],
        "Tỷ lệ trực tuyến": fields["online_rate"].map(fmt.percent),
        "Đúng hạn": [f"{fmt.number(n)}/{fmt.number(d)}" for n, d in
                     zip(fields["ontime_numerator"], fields["ontime_denominator"])],
        "Tỷ lệ đúng hạn": fields["ontime_rate"].map(fmt.percent),
    })


def build(store: Store, period: Period, as_of: Period | None = None,
          definitions: dict[str, str] | None = None) -> Scorecard:
    """The period judged by the plan of its year (none: rates without verdicts). `as_of` lists the
    units as they are at a later period's end, merged units counted as their successor: for
    comparing that period with this one. `definitions` replace the plan's: to see what a change
    of definition would do before it is saved."""
    end = roster.month_key(as_of.year, as_of.last_month) if as_of else None
    with store.reading():
        plan = store.plan_of_year(period.year)
        plan_id = plan["plan_id"] if plan else None
        units = store.units()
        merged = roster.successors(units, end or roster.month_key(period.year, period.last_month))
        return assemble(
            period, store.area()["name"] or "", plan, units,
            store.period_sums(period.months(), measures.every_ratio(), merged),
            store.roster(plan_id) if plan else None,
            store.targets(plan_id) if plan else pd.DataFrame(columns=TARGET_COLUMNS),
            definitions if definitions is not None else store.definitions(plan_id) if plan else {},
            sample=store.has_demo_data(), as_of=as_of,
            windows=tuple(store.windows(period.months()).itertuples(index=False, name=None)))


def assemble(period: Period, area: str, plan: dict | None, units: pd.DataFrame,
             sums: tuple[pd.DataFrame, pd.DataFrame], plan_roster: pd.DataFrame | None, target_table: pd.DataFrame,
             definitions: dict[str, str], sample: bool = False, as_of: Period | None = None,
             windows: tuple = ()) -> Scorecard:
    """Pure part of `build`: units, the period's sums by unit and by month (Store.period_sums, merged units
    already counted as their successors) and the plan in, scorecard out."""
    by_unit, by_month = sums
    months = list(zip(by_month["year"].astype(int), by_month["month"].astype(int)))
    given = frozenset(c for c in measures.COUNTS if by_month[f"has|{c}"].any())
    end = roster.month_key(as_of.year, as_of.last_month) if as_of else None
    listed = roster.listed(units, plan_roster, period, set(by_unit["unit_id"]), end)
    in_force = {k.key: f"{k.key}:{(definitions or {}).get(k.key, k.default_variant)}" for k in measures.CATALOGUE}
    kpi_months = {key: [m for m, n in zip(months, by_month[f"{name}|k"]) if n] for key, name in in_force.items()}
    kpi_months = {key: found for key, found in kpi_months.items() if found}

    # a row per unit and KPI, unit by unit in the listed order
    wide = listed[["unit_id"]].merge(by_unit, on="unit_id", how="left")
    table = listed.loc[listed.index.repeat(len(in_force)), ["unit", "group", "position"]].reset_index(drop=True)
    table["kpi"] = np.tile(list(in_force), len(listed))
    for part, column in (("n", "numerator"), ("d", "denominator")):
        values = np.column_stack([wide[f"{name}|{part}"].to_numpy(dtype=float, na_value=np.nan)
                                  for name in in_force.values()]) if len(listed) else np.empty(0)
        table[column] = pd.array(values.ravel(), dtype="Float64").astype("Int64")
    table["rate"] = measures.rate(table["numerator"], table["denominator"])

    instead, otherwise = [], set()
    for kpi in (k for k in measures.CATALOGUE if len(k.variants) > 1):  # counts there, under another definition
        lacking = (table["kpi"] == kpi.key) & table["denominator"].isna()
        if not lacking.any():
            continue
        variant = (definitions or {}).get(kpi.key, kpi.default_variant)
        for other in (v for v in kpi.variants if v != variant):
            rated = wide.loc[wide[f"{kpi.key}:{other}|d"].notna(), "unit_id"]
            found = lacking & table["unit"].isin(set(listed.loc[listed["unit_id"].isin(rated), "unit"]))
            if found.any():
                otherwise.update((unit, kpi.key) for unit in table.loc[found, "unit"])
                theirs = wide[wide["unit_id"].isin(listed.loc[listed["unit"].isin(table.loc[found, "unit"]), "unit_id"])]
                ratio = kpi.variants[variant]
                missing = tuple(c for c in (*ratio.numerator, *ratio.denominator) if not theirs[f"has|{c}"].any())
                others_have = ((table["kpi"] == kpi.key) & table["denominator"].notna()).any()
                instead.append(measures.Instead(kpi, variant, other, missing,
                                                int(found.sum()) if others_have else None))
                break
    windows = tuple((int(y), int(m), pd.Timestamp(a).date(), pd.Timestamp(b).date()) for y, m, a, b in windows)
    return Scorecard(period, area, plan, table, target_table, definitions, sample, months, given, windows,
                     kpi_months, tuple(instead), frozenset(otherwise))


def _assess(table: pd.DataFrame, target_table: pd.DataFrame) -> pd.DataFrame:
    """met, needed, and the target's threshold and the gap to it in points (positive below it)."""
    rules = target_table.drop_duplicates("wording").set_index("wording")
    # each row's target looked up once among the few wordings (a map per rule cost as much as the rest)
    at, wordings = pd.factorize(table["target"])
    at = np.where(at >= 0, at, len(wordings))  # no target: the NA put after the wordings
    thresholds = np.append(rules["threshold"].astype(float).reindex(wordings).to_numpy(dtype=float), np.nan)
    comparators = np.append(rules["comparator"].reindex(wordings).to_numpy(dtype=object), None)
    threshold = pd.Series(pd.array(thresholds[at], dtype="Float64"), index=table.index)
    comparator = pd.Series(comparators[at], index=table.index, dtype="str")
    result = targets.assess(table["numerator"], table["denominator"], comparator, (threshold * targets.SCALE).round())
    table = table.assign(**result.set_axis(table.index), threshold=threshold, gap=threshold - table["rate"])
    # the figure each rate is shown as: as many decimals as its verdict needs; ranks follow the figure
    decimals, figure, shown = _figures(table["rate"], comparator, threshold, table["met"])
    table["decimals"], table["figure"], table["shown"] = decimals, figure, shown
    table["comparator"] = comparator
    return table


def _figures(rate: pd.Series, comparator: pd.Series, threshold: pd.Series, met: pd.Series):
    """fmt.judged for a column of rates: the decimals, the figure and its text. Two decimals rounded in numpy
    where that is plainly right; fmt.judged itself for a rate at a half (Excel's rounding decides) or whose
    two-decimal figure would contradict its verdict."""
    x = rate.astype("Float64").to_numpy(dtype=float, na_value=np.nan) * 100
    thr = threshold.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    verdict = met.astype("boolean")
    has = ~np.isnan(x)
    figure = np.floor(x + 0.5) / 100
    with np.errstate(invalid="ignore"):
        half = np.abs(x - np.floor(x) - 0.5) < 1e-6
        above = np.where(comparator.to_numpy(dtype=object) == "gt", figure > thr, figure >= thr)
    judgeable = (~verdict.isna().to_numpy() & ~np.isnan(thr) & comparator.isin(["gt", "ge"]).to_numpy())
    contradicts = judgeable & (above != verdict.fillna(False).to_numpy(dtype=bool))
    decimals = np.where(has, 2, -1)
    for i in np.flatnonzero(has & (half | contradicts)):
        decimals[i], figure[i] = fmt.judged(rate.iloc[i], comparator.iloc[i], threshold.iloc[i], met.iloc[i])
    shown = [fmt.MISSING if d < 0 else f"{f:.2f}".replace(".", ",") + "%" if d == 2 and f < 1000 else
             fmt.percent(f, int(d)) for d, f in zip(decimals.tolist(), figure.tolist())]
    decimals_column, figure_column = pd.array(decimals, dtype="Int64"), pd.array(figure, dtype="Float64")
    decimals_column[~has], figure_column[~has] = pd.NA, pd.NA
    return decimals_column, figure_column, shown


def _status(table: pd.DataFrame) -> pd.Series:
    status = pd.Series(NO_TARGET, index=table.index, dtype="object")
    status[table["met"].fillna(False).astype(bool)] = MET
    status[(table["met"] == False).fillna(False).astype(bool)] = NOT_MET  # noqa: E712 (NA-aware)
    status[(table["denominator"] == 0).fillna(False)] = NO_DOSSIERS
    status[table["denominator"].isna()] = NO_DATA
    return status


def _band(table: pd.DataFrame) -> pd.Series:
    """Colour band: met (green), near (amber: within NEAR_POINTS below), below (red); else None."""
    band = pd.Series(None, index=table.index, dtype="object")
    band[table["status"] == MET] = "met"
    not_met = table["status"] == NOT_MET
    near = (table["gap"] <= NEAR_POINTS).fillna(False).astype(bool)
    band[not_met & near] = "near"
    band[not_met & ~near] = "below"
    return band


def definition_change(before: Scorecard, after: Scorecard, kpi: str) -> str:
    """What choosing another definition of a KPI does to a period's figures, in a sentence:
    'Lũy kế đến tháng 10/2026: toàn địa bàn 64,87% → 58,20%; đơn vị đạt 85/115 → 70/115.'"""
    was, now = before.totals().set_index("kpi").loc[kpi], after.totals().set_index("kpi").loc[kpi]
    text = (f"{before.period.label}: toàn địa bàn {fmt.percent(was['rate'])} ({fmt.number(was['numerator'])}/"
            f"{fmt.number(was['denominator'])}) → {fmt.percent(now['rate'])} ({fmt.number(now['numerator'])}/"
            f"{fmt.number(now['denominator'])})")
    (met_was, of_was), (met_now, of_now) = before.met_count(kpi), after.met_count(kpi)
    if of_was or of_now:
        text += f"; đơn vị đạt chỉ tiêu {met_was}/{of_was} → {met_now}/{of_now}"
    return text + "."


def needed_heading(kpi: str) -> str:
    """The heading of the dossiers a unit still needs, saying what they are: "Cần thêm (hồ sơ trực tuyến)"."""
    return f"Cần thêm ({measures.get(kpi).counted})"


def needed_help(kpi: str, definitions: dict[str, str] | None = None) -> str:
    """What "cần thêm" counts, the same words on every page and file."""
    k = measures.get(kpi)
    among = k.ratio(definitions).note.split(" / ", 1)[-1].split(" (")[0]
    return (f"Số {k.counted} còn thiếu để đạt chỉ tiêu, tính trong số {among} của kỳ: bấy nhiêu hồ sơ lẽ ra phải là "
            f"{k.counted}. Không phải số hồ sơ phải tiếp nhận thêm.")


def needed_phrase(kpi: str, needed) -> str:
    """"cần thêm 9 hồ sơ trực tuyến"."""
    return f"cần thêm {fmt.number(needed)} {measures.get(kpi).counted}"


def below_table(below: pd.DataFrame, kpi: str, ahead: Ahead | None = None) -> pd.DataFrame:
    """Units below target (Scorecard.below_target) as a short table: unit, figure, target, dossiers needed, and
    what they need by the period's end (Scorecard.ahead) when months of it are left."""
    table = pd.DataFrame({
        "Đơn vị": below["unit"].map(lambda u: text.visible(u, text.MAX_NAME)),  # a hidden mark never turns a line
        "Tỷ lệ": below["shown"], "Chỉ tiêu": below["target"],
        needed_heading(kpi): below["needed"].map(fmt.number),
    })
    if ahead is not None:
        table[ahead.heading] = below["unit"].map(ahead.said()).fillna("")
    return table


def ranking_text(rows: pd.DataFrame, ahead: Ahead | None = None) -> pd.DataFrame:
    """Scorecard.ranking rows as people read them: numbers the Vietnamese way, the plan's wording,
    the verdict, the dossiers still needed, by the period's end too when months of it are left (for pages,
    the CLI table and documents)."""
    table = pd.DataFrame({
        "Hạng": rows["rank"].map(lambda r: "" if pd.isna(r) else str(int(r))),
        "Đơn vị": rows["unit"],
        "Nhóm": rows["group"],
        "Tỷ lệ": rows["shown"],
        "Chỉ tiêu": rows["target"].fillna(fmt.MISSING),
        "Đánh giá": rows["status"].map(STATUS_LABELS),
        needed_heading(rows["kpi"].iloc[0] if len(rows) else "online"):
            [fmt.number(n) if s == NOT_MET else "" for n, s in zip(rows["needed"], rows["status"])],
        "Tử số": rows["numerator"].map(fmt.number),
        "Mẫu số": rows["denominator"].map(fmt.number),
    })
    if ahead is not None:
        table.insert(7, ahead.heading, rows["unit"].map(ahead.said()).fillna(""))
    return table


def to_contract(card: Scorecard, kpi: str, group: str | None = None) -> dict:
    """The JSON contract of `python -m kpi ranking --format json` (README)."""
    shown = card.kpis_with_data()
    ranked = card.ranking(kpi, group)
    by_unit = card.units.set_index(["unit", "kpi"])
    fields = ["numerator", "denominator", "rate", "target", "met"]
    units = [
        {"unit": row["unit"], "group": row["group"], "rank": _plain(row["rank"]),
         "kpis": {k: {f: _plain(by_unit.at[(row["unit"], k), f]) for f in [*fields, "needed"]} for k in shown}}
        for _, row in ranked.iterrows()
    ]
    totals = card.totals(group).set_index("kpi")
    return {
        "period": card.period.key, "scope": card.period.scope, "plan": card.plan["name"] if card.plan else None,
        "kpi": kpi,
        "sample": card.sample,
        "area": {k: {f: _plain(totals.at[k, f]) for f in fields} for k in shown},
        "units": units,
    }


def _plain(value):
    """A pandas scalar as JSON: NA -> None, numpy numbers -> int/float/bool."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def ranking_export(rows: pd.DataFrame, kpi: str, ahead: Ahead | None = None) -> pd.DataFrame:
    """The ranking with numbers as numbers, for xlsx and csv."""
    table = pd.DataFrame({
        "Hạng": rows["rank"], "Đơn vị": rows["unit"], "Nhóm": rows["group"],
        f"{measures.get(kpi).label} (%)": rows["rate"].astype("Float64").round(2),
        "Chỉ tiêu": rows["target"], "Đánh giá": rows["status"].map(STATUS_LABELS),
        needed_heading(kpi): rows["needed"].where(rows["status"] == NOT_MET),
        "Tử số": rows["numerator"], "Mẫu số": rows["denominator"],
    })
    if ahead is not None:  # numbers as numbers, and where even every dossier to come would not do, the words
        by_unit = ahead.units.set_index("unit")
        needed = [n if pd.notna(n) else "Không thể đạt" if pd.notna(e) else None
                  for n, e in zip(rows["unit"].map(by_unit["needed"]), rows["unit"].map(by_unit["expected"]))]
        table.insert(7, f"{ahead.heading}: {measures.get(kpi).counted}", pd.Series(needed, index=rows.index, dtype=object))
        table.insert(8, f"{ahead.heading}: mỗi tháng", rows["unit"].map(by_unit["per_month"]))
    return table
