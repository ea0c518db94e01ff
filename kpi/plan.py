"""Plans as data: a TOML file holds a plan's units, groups and targets in the plan's own words."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd

from kpi.measures import KPIS
from kpi.targets import Target

PLANS_DIR = Path(__file__).resolve().parent.parent / "data" / "plans"
SHIPPED_PLAN = PLANS_DIR / "my-tu-2024.toml"


def load(path: Path = SHIPPED_PLAN) -> tuple[dict, pd.DataFrame]:
    """Read a plan file -> (plan: name, year, area, source, units [unit, group]; targets table).

    A group lists its units, each a name or a table with the unit's own targets; a group's
    `targets` apply to each of its units that has none of its own.
    """
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    units, rows = [], []

    def add_targets(level: str, subject: str, wordings: dict) -> None:
        for kpi, wording in wordings.items():
            if kpi not in KPIS:
                raise ValueError(f"{path}: chỉ tiêu {kpi!r} của {subject!r} không có trong danh mục")
            target = Target.parse(wording)
            rows.append((kpi, level, subject, target.comparator, float(target.threshold), target.wording))

    add_targets("area", raw["area"], raw.get("area_targets", {}))
    for group in raw["groups"]:
        add_targets("group", group["name"], group.get("targets", {}))
        for entry in group["units"]:
            name = entry if isinstance(entry, str) else entry["name"]
            units.append((name, group["name"]))
            if not isinstance(entry, str):
                add_targets("unit", name, {k: v for k, v in entry.items() if k != "name"})
    plan = {key: raw.get(key) for key in ("name", "year", "area", "source")}
    plan["units"] = pd.DataFrame(units, columns=["unit", "group"])
    targets = pd.DataFrame(rows, columns=["kpi", "level", "subject", "comparator", "threshold", "wording"])
    return plan, targets
