"""Creating a database: for an area and its plan, for an area alone, or on sample data."""
from __future__ import annotations

from kpi import demo, plan
from kpi.store import SCHEMA_VERSION, Store, StoreError


def initialise(store: Store, plan_file=None, *, sample: str | None = None, year: int | None = None,
               area: str | None = None, level: str | None = None) -> dict:
    """Migrate the schema, then: load a sample ("district", "province"), which replaces what the
    database holds if that is itself sample data; or store a plan file (its area becomes the
    database's); or only name the area. Returns area, plans (names), units, rows, months."""
    store.migrate()
    if sample:
        return load_sample(store, sample)
    loaded = plan.load(plan_file, year) if plan_file else None
    stored = start(store, area or (loaded.area if loaded else None), level, loaded)
    return {"area": store.area()["name"], "plans": [stored.name] if stored else [],
            "units": len(stored.units) if stored else 0, "rows": 0, "months": []}


def start(store: Store, area: str | None, level: str | None, first: plan.Plan | None = None,
          replace_sample: bool = False) -> plan.Plan | None:
    """Set a database up for an area: its name and level, and its first plan, all in one transaction
    (`replace_sample`: in place of the sample data it holds). Returns the plan as stored."""
    if first is not None:
        plan.check_area(first, area)
    with store.transaction():
        if replace_sample:
            store.start_over()
            store.set_setting("login_required", "true")  # real figures: only people with an account see them
        current = store.area()["name"]
        if area and not current or level:
            store.set_area(current or area, level)
        return plan.save(store, first)[1] if first is not None else None


def untouched(store: Store) -> bool:
    """A first start cut short after the schema: nothing in it at all, not even the audit row every finished
    set-up writes (`init` without a plan leaves an empty database on purpose, and says so in the audit)."""
    with store.reading():
        return (not store.area()["name"] and store.plans().empty and store.units().empty and not store.months()
                and store.users().empty and store.audit(limit=1).empty)


def load_sample(store: Store, key: str) -> dict:
    if key not in demo.SAMPLES:
        raise StoreError(f"Không có dữ liệu mẫu «{key}»; chọn một trong: {', '.join(demo.SAMPLES)}")
    sample = demo.SAMPLES[key]
    counts = demo.generate(sample)
    with store.transaction():  # one change: a reader sees the old sample or the new one, never half
        store.start_over()  # refused once real files were imported
        store.set_area(sample.area, sample.level)
        store.set_setting("login_required", "false")  # sample figures are for anyone to try
        names = [plan.save(store, p)[1].name for p in sample.plans()]
        store.replace_demo_counts(counts)
    return {"area": sample.area, "plans": names, "units": counts["unit"].nunique(), "rows": len(counts),
            "months": [sample.months[0], sample.months[-1]]}


def ensure_demo(store: Store) -> None:
    """First start of the app: a database that does not exist yet is created on the district sample, and so
    is one whose first start was cut short (the schema made, nothing in it yet); one from an earlier version is
    brought up to date, and one copied without its version stamp gets one (the key of the pages' cached figures).
    An up-to-date one is only read: no write at every start."""
    version = store.schema_version()
    if version == 0 or untouched(store):
        initialise(store, sample="district")
    elif version != SCHEMA_VERSION or store.version()[0] is None:  # a newer one is refused by migrate, in words
        store.migrate()
