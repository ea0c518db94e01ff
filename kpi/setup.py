"""Creating a database: schema, the shipped plan, and optionally the sample data."""
from __future__ import annotations

from pathlib import Path

from kpi import demo, plan
from kpi.store import Store


def initialise(store: Store, plan_file: Path = plan.SHIPPED_PLAN, with_demo: bool = False) -> tuple[dict, int]:
    """Migrate the schema and load the plan; with_demo replaces the sample counts.
    Returns the plan and the number of sample rows written."""
    store.migrate()
    loaded, targets = plan.load(plan_file)
    store.save_plan(loaded, targets)
    if not with_demo:
        return loaded, 0
    counts = demo.generate()
    store.replace_demo_counts(counts)
    return loaded, len(counts)


def ensure_demo(store: Store) -> None:
    """First start of the app: a database that does not exist yet is created on the sample data."""
    if store.schema_version() == 0:
        initialise(store, with_demo=True)
    else:
        store.migrate()
