"""Creating a database: for an area and its plan, for an area alone, or on sample data."""
from __future__ import annotations

from pathlib import Path

from kpi import demo, plan
from kpi.store import Store, StoreError


def initialise(store: Store, plan_file: Path | None = None, *, sample: str | None = None, year: int | None = None,
               area: str | None = None, level: str | None = None) -> dict:
    """Migrate the schema, then: load a sample ("district", "province"), which replaces what the
    database holds if that is itself sample data; or store a plan file (its area becomes the
    database's); or only name the area. Returns area, plans (names), units, rows, months."""
    store.migrate()
    if sample:
        return load_sample(store, sample)
    done = {"area": area, "plans": [], "units": 0, "rows": 0, "months": []}
    loaded = plan.load(plan_file, year) if plan_file else None
    if loaded and area and not plan.same_area(area, loaded.area):
        raise plan.PlanError(f"Tệp {Path(plan_file).name} là kế hoạch của «{loaded.area}», không phải «{area}».")
    with store.transaction():
        if area or level:
            store.set_area(store.area()["name"] or area or loaded.area, level)
        if loaded:
            _, stored = plan.save(store, loaded)
            done |= {"plans": [stored.name], "units": len(stored.units)}
        done["area"] = store.area()["name"]
    return done


def load_sample(store: Store, key: str) -> dict:
    if key not in demo.SAMPLES:
        raise StoreError(f"Không có dữ liệu mẫu «{key}»; chọn một trong: {', '.join(demo.SAMPLES)}")
    sample = demo.SAMPLES[key]
    counts = demo.generate(sample)
    store.migrate()
    with store.transaction():  # one change: a reader sees the old sample or the new one, never half
        store.start_over()  # refused once real files were imported
        store.set_area(sample.area, sample.level)
        names = [plan.save(store, p)[1].name for p in sample.plans()]
        store.replace_demo_counts(counts)
    return {"area": sample.area, "plans": names, "units": counts["unit"].nunique(), "rows": len(counts),
            "months": [sample.months[0], sample.months[-1]]}


def ensure_demo(store: Store) -> None:
    """First start of the app: a database that does not exist yet is created on the district sample."""
    if store.schema_version() == 0:
        initialise(store, sample="district")
    else:
        store.migrate()
