"""A plan of the year (its Appendix 1, "Phụ lục 1") as data: its year, name and document, the units
it targets in their groups, its targets in the plan's own words, and the definition of each KPI it
sets. Read from TOML or from the Appendix typed in Excel (kpi.appendix), and checked whole before
anything is stored."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from kpi import fmt, measures, roster, text
from kpi.targets import Target

PLANS_DIR = Path(__file__).resolve().parent.parent / "data" / "plans"
SHIPPED_PLAN = PLANS_DIR / "my-tu-2024.toml"
TARGET_COLUMNS = ["kpi", "level", "subject", "comparator", "threshold", "wording"]
# the area's levels since 1/7/2025, and the district of the 2024 plans
LEVELS = {"province": "Tỉnh, thành phố", "commune": "Xã, phường, đặc khu", "district": "Huyện (trước 1/7/2025)"}


class PlanError(ValueError):
    """A plan that cannot be stored, with a Vietnamese message saying what and where."""


@dataclass
class Plan:
    year: int
    name: str
    area: str
    units: pd.DataFrame  # [unit, group] in the plan's order
    targets: pd.DataFrame  # TARGET_COLUMNS
    groups: list[str]  # in the plan's order, with those that list no unit (resolved against the database)
    document: str | None = None  # "64/KH-UBND"
    source: str | None = None
    definitions: dict[str, str] = field(default_factory=dict)  # kpi -> denominator variant the plan sets
    notes: list[str] = field(default_factory=list)  # what the reader decided, for the preview

    def target_grid(self) -> pd.DataFrame:
        """The targets as the Appendix lays them out: a row for the area, each group and each of its
        units, a column of wordings per KPI (empty where none is set)."""
        rows = [("area", self.area, None)]
        for group in self.groups:
            rows.append(("group", group, group))
            rows += [("unit", u, group) for u in self.units.loc[self.units["group"] == group, "unit"]]
        grid = pd.DataFrame(rows, columns=["level", "subject", "group"])
        wordings = self.targets.pivot_table(index=["level", "subject"], columns="kpi", values="wording",
                                            aggfunc="first")
        grid = grid.merge(wordings, left_on=["level", "subject"], right_index=True, how="left")
        for key in measures.KPIS:
            if key not in grid:
                grid[key] = None
        return grid[["level", "subject", "group", *measures.KPIS]]


def targets_from_grid(grid: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """A target grid (Plan.target_grid, as edited on screen) back to the target table, and a message
    for each cell that cannot be read (all of them, so that one save shows every mistake)."""
    entries, errors = [], []
    for row in grid.itertuples(index=False):
        for key in measures.KPIS:
            wording = getattr(row, key)
            if pd.isna(wording) or not str(wording).strip():
                continue
            where = f"«{row.subject}», cột «{measures.get(key).label}»"
            try:
                entries.append(target_rows([(key, row.level, row.subject, str(wording), where)]))
            except PlanError as error:
                errors.append(str(error))
    table = pd.concat(entries, ignore_index=True) if entries else pd.DataFrame(columns=TARGET_COLUMNS)
    return table, errors


def no_plan(year: int) -> str:
    return f"Chưa có kế hoạch năm {year}"


def default_name(year: int, document: str | None = None) -> str:
    return f"Kế hoạch {document} năm {year}" if document else f"Kế hoạch năm {year}"


def target_rows(entries: list[tuple[str, str, str, object, str]]) -> pd.DataFrame:
    """(kpi, level, subject, wording, where) -> the target table; an unreadable wording is a PlanError
    naming `where` (a file, row and column)."""
    rows = []
    for kpi, level, subject, wording, where in entries:
        if kpi not in measures.KPIS:
            raise PlanError(f"{where}: không có chỉ tiêu «{kpi}» (chọn một trong {', '.join(measures.KPIS)}).")
        try:
            target = Target.parse(wording)
        except ValueError as error:
            raise PlanError(f"{where}: {error}.") from None
        rows.append((kpi, level, subject, target.comparator, float(target.threshold), target.wording))
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


def read(file_name: str, data: bytes, *, year: int | None = None, name: str | None = None,
         area: str | None = None) -> Plan:
    """A plan file as given (the Appendix typed in Excel, or TOML), checked. `year` and `name` replace
    what the file says; `area` stands in when the file names none."""
    from kpi import appendix
    from kpi.ingest import isolation

    if data.startswith(b"PK\x03\x04"):  # parsed in the worker process, as an uploaded report is
        plan = isolation.call(file_name, appendix.read, file_name, data, year=year, area=area)
    else:
        plan = _from_toml(file_name, data, year=year, area=area)
    if name:
        plan.name = name.strip()
    elif year and year != plan.year:
        plan.name = default_name(year, plan.document)
    if year:
        plan.year = year
    check(plan, f"Tệp {file_name}")
    return plan


def load(path: str | Path = SHIPPED_PLAN, year: int | None = None) -> Plan:
    path = Path(path)
    if not path.is_file():
        raise PlanError(f"Không có tệp kế hoạch {path}.")
    return read(path.name, path.read_bytes(), year=year)


def _from_toml(file_name: str, data: bytes, year: int | None, area: str | None) -> Plan:
    """A group lists its units, each a name or a table with the unit's own targets; a group's
    `targets` apply to each of its units that has none of its own."""
    try:
        raw = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise PlanError(f"Tệp {file_name} không phải bảng tính Excel (.xlsx) hay tệp kế hoạch .toml.") from None
    except tomllib.TOMLDecodeError as error:
        at = re.search(r"line (\d+), column (\d+)", str(error))
        where = f" (lỗi ở dòng {at.group(1)}, cột {at.group(2)})" if at else ""
        what = "tệp kế hoạch .toml viết sai" if file_name.lower().endswith(".toml") else \
            "không phải bảng tính Excel (.xlsx) hay tệp kế hoạch .toml"
        raise PlanError(f"Tệp {file_name}: {what}{where}.") from None
    year = raw.get("year") or year
    if year is not None and not isinstance(year, int):
        raise PlanError(f"Tệp {file_name}: năm «{year}» phải là một số, ví dụ «year = 2026».")
    if not isinstance(year, int):
        raise PlanError(f"Tệp {file_name}: thiếu năm của kế hoạch («year = 2026»), hoặc chỉ rõ bằng --year.")
    area = area or raw.get("area")
    if not isinstance(area, str) or not area.strip():
        raise PlanError(f"Tệp {file_name}: thiếu tên địa bàn («area = \"Tỉnh …\"»).")
    groups = raw.get("groups")
    if not isinstance(groups, list) or not groups:
        raise PlanError(f"Tệp {file_name}: không có nhóm đơn vị nào («[[groups]]» với «name» và «units»).")
    entries, units, names = [], [], []

    def wordings(where: str, level: str, subject: str, table) -> None:
        if not isinstance(table, dict) or not all(isinstance(w, (str, int, float)) for w in table.values()):
            raise PlanError(f"{where}: chỉ tiêu phải là bảng «kpi = \"mức\"».")
        entries.extend((kpi, level, subject, wording, f"{where}, chỉ tiêu «{kpi}»") for kpi, wording in table.items())

    wordings(f"Tệp {file_name}, «area_targets»", "area", area, raw.get("area_targets", {}))
    for i, group in enumerate(groups, start=1):
        where = f"Tệp {file_name}, nhóm thứ {i}"
        if not isinstance(group, dict) or not str(group.get("name", "")).strip():
            raise PlanError(f"{where}: thiếu tên nhóm («name»).")
        gname = str(group["name"]).strip()
        names.append(gname)
        wordings(f"Tệp {file_name}, nhóm «{gname}»", "group", gname, group.get("targets", {}))
        for entry in group.get("units", []):
            own = {k: v for k, v in entry.items() if k != "name"} if isinstance(entry, dict) else {}
            unit = entry.get("name", "") if isinstance(entry, dict) else entry
            if not isinstance(unit, str):
                raise PlanError(f"Tệp {file_name}, nhóm «{gname}»: tên đơn vị phải là chữ («{unit}»).")
            unit = unit.strip()
            if not unit:
                raise PlanError(f"Tệp {file_name}, nhóm «{gname}»: có đơn vị không ghi tên.")
            units.append((unit, gname))
            wordings(f"Tệp {file_name}, đơn vị «{unit}»", "unit", unit, own)
    definitions = raw.get("definitions", {})
    if not isinstance(definitions, dict) or not all(isinstance(v, str) for v in definitions.values()):
        raise PlanError(f"Tệp {file_name}: «definitions» phải là bảng «kpi = \"cách tính\"».")
    document = raw.get("document")
    for key in ("name", "document", "source"):
        if not isinstance(raw.get(key, ""), str):
            raise PlanError(f"Tệp {file_name}: «{key}» phải là chữ, trong ngoặc kép.")
    return Plan(year=year, name=str(raw.get("name") or default_name(year, document)).strip(), area=area.strip(),
                units=pd.DataFrame(units, columns=["unit", "group"]), targets=target_rows(entries), groups=names,
                document=document, source=raw.get("source"), definitions=dict(definitions))


def check(plan: Plan, where: str) -> None:
    """Everything that would make the plan wrong once stored, said before anything is (`where`
    names where the plan comes from in the messages)."""
    if not 2000 <= plan.year <= 2100:
        raise PlanError(f"{where}: năm {plan.year} không hợp lệ.")
    if not plan.name:
        raise PlanError(f"{where}: kế hoạch không có tên.")
    for name in (*plan.units["unit"], *plan.groups, plan.name, plan.area or ""):
        if problem := text.name_problem(str(name)):
            raise PlanError(f"{where}: tên «{text.visible(str(name))}» {problem}.")
    twice = plan.units["unit"].map(same_name)
    if twice.duplicated().any():
        repeated = plan.units.loc[twice.duplicated(keep=False)]
        listed = "; ".join(f"«{u}» ({g})" for u, g in zip(repeated["unit"], repeated["group"]))
        raise PlanError(f"{where}: đơn vị được liệt kê hai lần: {listed}.")
    groups = pd.Series(plan.groups, dtype="object")
    if groups.map(same_name).duplicated().any():
        raise PlanError(f"{where}: nhóm «{groups[groups.map(same_name).duplicated()].iloc[0]}» có hai lần.")
    for kpi, variant in plan.definitions.items():
        if kpi not in measures.KPIS or variant not in measures.KPIS[kpi].variants:
            choices = ", ".join(measures.KPIS[kpi].variants) if kpi in measures.KPIS else ", ".join(measures.KPIS)
            raise PlanError(f"{where}: cách tính «{kpi} = {variant}» không có; chọn một trong: {choices}.")


def same_name(name: str) -> str:
    """What names that are the same name have in common: case and spacing aside, tone marks kept ("Phù Mỹ" is not "Phú Mỹ")."""
    return " ".join(text.nfc(name).casefold().split())


def resolve(plan: Plan, units: pd.DataFrame, aliases: pd.DataFrame | None = None) -> Plan:
    """The plan in the database's names: a unit the area already has ("UBND xã Mỹ Hương" for "Xã Mỹ
    Hương") keeps its name; a group that lists no unit takes the units the area has in that group,
    else is itself one unit ("Công an huyện")."""
    from kpi.ingest import names

    matcher = names.Matcher(units, aliases)
    found = matcher.match_keys(names.keys(plan.units["unit"])) if len(plan.units) else pd.Series(dtype="object")
    renamed = dict(zip(plan.units["unit"], found.where(found.notna(), plan.units["unit"].to_numpy())))
    same = pd.Series(renamed)
    if same.duplicated().any():
        unit = same[same.duplicated()].iloc[0]
        written = " và ".join(f"«{n}»" for n in same[same == unit].index)
        raise PlanError(f"Kế hoạch «{plan.name}»: {written} là cùng một đơn vị «{unit}» (đơn vị được liệt kê hai lần).")
    roster, notes = [], list(plan.notes)
    for group in plan.groups:
        listed = plan.units.loc[plan.units["group"] == group, "unit"].map(renamed).tolist()
        if not listed:
            known = units.loc[(units["group"] == group) & units["until"].isna(), "unit"].tolist() if len(units) else []
            listed = known or [group]
            notes.append(f"Nhóm «{group}» không liệt kê đơn vị: áp dụng cho {len(known)} đơn vị đã có của nhóm."
                         if known else f"Nhóm «{group}» không liệt kê đơn vị: coi nhóm là một đơn vị.")
        roster += [(u, group) for u in listed]
    targets = plan.targets.copy()
    at_unit = targets["level"] == "unit"
    targets.loc[at_unit, "subject"] = targets.loc[at_unit, "subject"].map(renamed)
    resolved = replace(plan, units=pd.DataFrame(roster, columns=["unit", "group"]), targets=targets, notes=notes)
    check(resolved, f"kế hoạch «{plan.name}»")
    return resolved


def with_units(plan: Plan, units: pd.DataFrame) -> Plan:
    """The plan with the area's units it does not list yet (added since, or by an import), each in its
    own group: for giving them targets (Store.set_targets then takes them into the plan)."""
    alive = units[roster.alive(units, roster.month_key(plan.year, 1), roster.month_key(plan.year, 12))
                  & units["successor"].isna()]
    extra = alive.loc[~alive["unit"].isin(plan.units["unit"]), ["unit", "group"]]
    if extra.empty:
        return plan
    members = pd.concat([plan.units, extra], ignore_index=True)
    order = list(dict.fromkeys([*plan.groups, *extra["group"]]))
    members = members.sort_values("group", key=lambda g: g.map(order.index), kind="stable").reset_index(drop=True)
    return replace(plan, units=members, groups=order)


def copied(plan: Plan, year: int, units: pd.DataFrame) -> Plan:
    """Another year's plan to start from: the same groups, targets and definitions, for the units as
    they are at that year's start (Store.units): a unit merged since is replaced by the unit it became,
    a retired one is left out, with its own targets."""
    start = roster.month_key(year, 1)
    became = roster.successors(units, start)
    names = dict(zip(units["unit_id"], units["unit"]))
    ids = dict(zip(units["unit"], units["unit_id"]))
    retired = set(units.loc[(units["until"] <= start).fillna(False) & units["successor"].isna(), "unit"])
    members = plan.units.assign(unit=plan.units["unit"].map(
        lambda u: names[became[ids[u]]] if ids.get(u) in became else u))
    members = members[~members["unit"].isin(retired)].drop_duplicates("unit").reset_index(drop=True)
    own = plan.targets["level"] == "unit"
    targets = plan.targets[~own | plan.targets["subject"].isin(set(members["unit"]))].reset_index(drop=True)
    return replace(plan, year=year, name=default_name(year), document=None, source=None, notes=[], units=members,
                   targets=targets)


def stored(meta: dict, roster: pd.DataFrame, targets: pd.DataFrame, definitions: dict[str, str]) -> Plan:
    """A plan as the store keeps it (see `of_year`)."""
    return Plan(year=int(meta["year"]), name=meta["name"], area=meta["area"], document=meta.get("document"),
                source=meta.get("source"), units=roster[["unit", "group"]].reset_index(drop=True),
                targets=targets[TARGET_COLUMNS].reset_index(drop=True), groups=list(dict.fromkeys(roster["group"])),
                definitions=dict(definitions))


def check_area(plan: Plan, area: str | None) -> None:
    """A database holds one area: a plan of another is refused."""
    if area and not same_area(area, plan.area):
        raise PlanError(f"Kế hoạch «{plan.name}» là của «{plan.area}», cơ sở dữ liệu này là của «{area}». Mỗi cơ sở "
                        f"dữ liệu giữ một địa bàn: hãy tạo cơ sở dữ liệu khác cho «{plan.area}».")


_LEVEL_WORDS = ("thành phố", "thị xã", "thị trấn", "đặc khu", "tỉnh", "huyện", "quận", "xã", "phường")


def same_area(a: str | None, b: str | None) -> bool:
    """"Huyện Mỹ Tú", "UBND huyện Mỹ Tú" and "huyện Mỹ Tú" are one area; so are "Gia Lai" and "Tỉnh Gia
    Lai", but not "Huyện Mỹ Tú" and "Xã Mỹ Tú"."""
    def bare(name: str) -> tuple[str, str]:
        name = " ".join(text.nfc(name).casefold().removeprefix("ubnd ").removeprefix("ủy ban nhân dân ").split())
        level = next((w for w in _LEVEL_WORDS if name.startswith(w + " ")), "")
        return level, name.removeprefix(level).strip()
    if not (a and b):
        return False
    (level_a, name_a), (level_b, name_b) = bare(a), bare(b)
    return name_a == name_b and (level_a == level_b or not level_a or not level_b)


def for_area(plan: Plan, area: str | None, units: pd.DataFrame, aliases: pd.DataFrame) -> Plan:
    """A plan read from a file as the database would store it: refused if of another area, else under
    the database's spelling of the area and in its unit names (Store.units, Store.aliases)."""
    check_area(plan, area)
    if area and area != plan.area:
        targets = plan.targets.assign(subject=plan.targets["subject"].where(plan.targets["level"] != "area", area))
        plan = replace(plan, area=area, targets=targets)
    return resolve(plan, units, aliases)


def save(store, plan: Plan, replace: bool = False) -> tuple[int, Plan]:
    """Store a plan read from a file (see `for_area`). Returns its plan_id and the plan as stored."""
    with store.reading():
        resolved = for_area(plan, store.area()["name"], store.units(), store.aliases())
    return store.save_plan(resolved, replace=replace), resolved


def of_year(store, year: int) -> Plan:
    """The stored plan of a year; PlanError when the year has none."""
    with store.reading():
        meta = store.plan_of_year(year)
        if meta is None:
            raise PlanError(f"{no_plan(year)}.")
        return stored(meta, store.roster(meta["plan_id"]), store.targets(meta["plan_id"]),
                      store.definitions(meta["plan_id"]))


def years_without_plan(plans: pd.DataFrame, months: list[tuple[int, int]]) -> list[int]:
    """The years that have counts but no plan to judge them."""
    return sorted({y for y, _ in months} - set(plans["year"].astype(int)))


def plans_table(plans: pd.DataFrame) -> pd.DataFrame:
    """Store.plans as people read it."""
    return pd.DataFrame({
        "Năm": plans["year"].astype(int).astype(str),
        "Kế hoạch": plans["name"],
        "Số văn bản": plans["document"].fillna(""),
        "Đơn vị": plans["units"].map(fmt.number),
        "Chỉ tiêu": plans["targets"].map(fmt.number),
        "Đánh giá": plans["year"].map(lambda y: f"các kỳ của năm {int(y)}"),
    })


def copy(store, source_year: int, year: int, replace: bool = False) -> Plan:
    """Store a copy of one year's plan as another year's (refused if that year has one, unless
    `replace`). Returns it."""
    return save(store, copied(of_year(store, source_year), year, store.units()), replace=replace)[1]
