"""The doorway: the only code above the store that opens it.

Pages, the CLI and the reports ask it for figures and hand it their changes. It gives back
DataFrames, scorecards and plain values, never a connection or a Store; every write names the
acting user, is checked against their role here, and leaves a line in the audit trail in the same
transaction. Each call opens its own connection (Store opens one per operation), so nothing is
shared between sessions or threads.
"""
from __future__ import annotations

import datetime as dt
import getpass
import json
import math
import re
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kpi import history, ingest, measures, plan, quality, roster, scorecard, setup
from kpi.periods import Period
from kpi.store import DEMO_LABEL, SCHEMA_VERSION, StoreBusy, StoreError, default_path  # noqa: F401 (for the pages)
from kpi.store import waiting_shown
from kpi.store import Store as _Store  # private: nothing above the doorway opens the store

ROLES = {"viewer": "Xem", "uploader": "Nhập liệu", "admin": "Quản trị"}
_RANK = {None: 0, "viewer": 1, "uploader": 2, "admin": 3}

# What each write needs and how the audit trail names it: adding a write touches this table.
ACTIONS: dict[str, tuple[str | None, str]] = {
    "import": ("uploader", "Nhập dữ liệu"),
    "undo": ("uploader", "Hoàn tác lần nhập"),
    "setup": ("admin", "Thiết lập địa bàn"),
    "sample": ("admin", "Nạp dữ liệu mẫu"),
    "plan.save": ("admin", "Nhập kế hoạch"),
    "plan.copy": ("admin", "Chép kế hoạch"),
    "plan.update": ("admin", "Sửa tên, số văn bản kế hoạch"),
    "plan.delete": ("admin", "Xoá kế hoạch"),
    "targets": ("admin", "Sửa chỉ tiêu"),
    "definition": ("admin", "Đổi cách tính"),
    "unit.add": ("admin", "Thêm đơn vị"),
    "unit.rename": ("admin", "Đổi tên đơn vị"),
    "unit.regroup": ("admin", "Chuyển nhóm đơn vị"),
    "unit.retire": ("admin", "Đơn vị thôi hoạt động"),
    "unit.merge": ("admin", "Gộp đơn vị"),
    "unit.restore": ("admin", "Đơn vị hoạt động trở lại"),
    "alias.set": ("admin", "Thêm tên khác của đơn vị"),
    "alias.remove": ("admin", "Bỏ tên khác của đơn vị"),
    "user.add": ("admin", "Thêm người dùng"),
    "user.password": ("admin", "Đặt mật khẩu"),
    "user.role": ("admin", "Đổi vai trò"),
    "user.disable": ("admin", "Khoá tài khoản"),
    "user.enable": ("admin", "Mở khoá tài khoản"),
    "setting": ("admin", "Đổi cài đặt"),
    "users.read": ("admin", "Xem danh sách người dùng"),
    "audit.read": ("admin", "Xem nhật ký"),
    "login": (None, "Đăng nhập"),
    "login.failed": (None, "Đăng nhập sai"),
}

# Options an admin sets on the Người dùng page or with `python -m kpi setting`: key -> (label, default)
SETTINGS = {
    "login_required": ("Người xem phải đăng nhập", "true"),
    "sso": ("Nhận người dùng từ hệ thống đăng nhập một lần của cơ quan", "false"),
}

NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")
MIN_PASSWORD = 8
_hasher = PasswordHasher()  # argon2id with the library's current parameters
# unknown names cost as much as wrong passwords: a hash with the hasher's parameters (a test checks them), written
# here rather than made at import, which cost the first page 0,1 s
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$U+9bfQOGo3GZ+/Vnrv8H3Q$syDNoXwW1axmeDRj8saCYyKwfOj1dUiHSlbEdV3kMuA"


class Refused(StoreError):
    """A write the acting user's role does not allow, or a login refused; said in Vietnamese."""


@dataclass(frozen=True)
class Actor:
    """Who acts: a user's name and role (None for someone not logged in), and where from."""
    name: str | None = None
    role: str | None = None
    client: str | None = None

    def may(self, role: str | None) -> bool:
        return _RANK[self.role] >= _RANK[role]

    @property
    def label(self) -> str:
        return f"{self.name} ({ROLES[self.role]})" if self.name else "khách (chưa đăng nhập)"


ANONYMOUS = Actor()


def console() -> Actor:
    """The CLI: whoever runs it can open the database file, which is every power there is; the
    audit trail names their system account."""
    return Actor(f"{getpass.getuser()}@{socket.gethostname()}", "admin", "dòng lệnh")


def login_name(name: str) -> str:
    """A login name as stored: trimmed, lower case; refused unless 3-64 plain characters."""
    key = (name or "").strip().lower()
    if not NAME.match(key):
        raise Refused(f"Tên đăng nhập «{key[:64]}» không hợp lệ: 3–64 ký tự, chỉ gồm chữ không dấu, số và . _ @ -.")
    return key


def _check_password(name: str, password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise Refused(f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.")
    if password.strip().lower() == name:
        raise Refused("Mật khẩu không được trùng tên đăng nhập.")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise Refused(f"Không có vai trò «{role}»; chọn một trong: "
                      + ", ".join(f"{key} ({label})" for key, label in ROLES.items()) + ".")


def _verifies(digest: str | None, password: str | None) -> bool:
    try:
        return digest is not None and _hasher.verify(digest, password or "")
    except (VerificationError, InvalidHashError):
        return False


def wait_after(failures: int) -> float:
    """Seconds a name or a client must wait after this many failed logins in a row: none for the
    first two, then 2, 4, 8 ... up to five minutes."""
    return 0.0 if failures < 3 else float(min(2 ** (failures - 2), 300))


class _Attempts:
    """Failed logins in a row per key (a client's address, or a name the database does not know), in
    this process. An attempt is counted before its password is checked, so guesses sent at once are
    counted at once."""

    def __init__(self):
        self._lock, self._seen = threading.Lock(), {}

    def reserve(self, key, now: float) -> float:
        """0 and one more attempt counted, or the seconds still to wait."""
        with self._lock:
            failures, last = self._seen.get(key, (0, 0.0))
            if now - last > 3600:  # an hour quiet: a fresh start
                failures = 0
            waited = last + wait_after(failures) - now if wait_after(failures) else 0.0
            if waited > 0:
                return waited
            if len(self._seen) > 10_000:
                self._seen = {k: v for k, v in self._seen.items() if now - v[1] < 3600}
            self._seen[key] = (failures + 1, now)
            return 0.0

    def give_back(self, key) -> None:
        """A successful login: its own attempt was not a failure (earlier failures still count)."""
        with self._lock:
            failures, last = self._seen.get(key, (0, 0.0))
            if failures > 1:
                self._seen[key] = (failures - 1, last)
            else:
                self._seen.pop(key, None)


_attempts = _Attempts()
LOCAL = {None, "127.0.0.1", "::1", "localhost"}  # the server's own machine
clock = time.time  # seconds; a test moves it forward instead of sleeping


def _plain(value):
    if isinstance(value, pd.DataFrame):
        return value.astype(object).where(value.notna(), None).to_dict("records")
    return str(value)


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=_plain)


class Service:
    """One user's way into one database file."""

    def __init__(self, path=None, actor: Actor = ANONYMOUS, lock_timeout: float | None = None):
        self._store = _Store(path or default_path(), lock_timeout)
        self.actor = actor

    @property
    def path(self):
        return self._store.path

    def version(self) -> tuple:
        """Changes whenever the file does (any process's write): a cache key for what is read."""
        return self._store.version()

    later = staticmethod(_Store.later)  # whether a version comes after another

    # -- writing: the role checked, the audit line written in the same transaction ---------------------
    def _require(self, action: str) -> None:
        role, label = ACTIONS[action]
        if not self.actor.may(role):
            who = self.actor.label
            raise Refused(f"«{label}» cần vai trò {ROLES[role]}; {who} không được làm việc này.")

    @contextmanager
    def _writing(self, action: str, subject=None, before=None, data: bool = True) -> Iterator[dict]:
        """Check the role, run the write and log it, all or nothing. The body may set entry["after"]
        (and entry["subject"], entry["before"]). `data`: whether the figures may change (accounts do not)."""
        self._require(action)
        entry = {"subject": subject, "before": before, "after": None}
        with self._store.transaction(data=data):
            yield entry
            self._log(action, entry["subject"], entry["before"], entry["after"])

    def _log(self, action: str, subject=None, before=None, after=None, actor: Actor | None = None) -> None:
        who = actor or self.actor
        self._store.log(who.name, who.role, who.client, action, None if subject is None else str(subject),
                        _json(before), _json(after))

    # -- first start and set-up -------------------------------------------------------------------------
    def ensure(self) -> None:
        """The app's first start: create the database on the sample data, or bring it up to date."""
        setup.ensure_demo(self._store)

    @staticmethod
    def waiting_shown(report):
        """While this thread's writes wait for their turn (another session's, the CLI's), `report(ahead,
        seconds)` is called about every second: a context manager."""
        return waiting_shown(report)

    def migrate(self) -> None:
        """Bring a database made by an earlier version up to date (a no-op when it is)."""
        if self._store.schema_version() not in (0, SCHEMA_VERSION):
            self._store.migrate()

    def initialise(self, plan_file=None, *, sample: str | None = None, year: int | None = None,
                   area: str | None = None, level: str | None = None) -> dict:
        self._require("setup")
        self._store.migrate()
        with self._writing("sample" if sample else "setup", sample or area) as entry:
            done = setup.initialise(self._store, plan_file, sample=sample, year=year, area=area, level=level)
            entry["subject"], entry["after"] = done["area"], {"plans": done["plans"], "units": done["units"]}
        return done

    def set_area(self, name: str, level: str | None) -> None:
        with self._writing("setup", name, before=self._store.area()) as entry:
            self._store.set_area(name, level)
            entry["after"] = {"name": name, "level": level}

    def start(self, area: str | None, level: str | None, first: plan.Plan | None = None,
              replace_sample: bool = False) -> plan.Plan | None:
        with self._writing("setup", area) as entry:
            stored = setup.start(self._store, area, level, first, replace_sample=replace_sample)
            entry["after"] = {"area": area, "level": level, "plan": stored.name if stored else None,
                              "replaced_sample": replace_sample}
        return stored

    def load_sample(self, key: str) -> dict:
        with self._writing("sample", key) as entry:
            done = setup.load_sample(self._store, key)
            entry["after"] = {"area": done["area"], "plans": done["plans"], "rows": done["rows"]}
        return done

    # -- reading ----------------------------------------------------------------------------------------
    def facts(self) -> dict:
        """Months with data, plans, units and their other names, the area, each year's definitions, and
        whether the data is a sample: what every page needs, in one connection."""
        with self._store.reading() as s:
            return {"months": s.months(), "plans": s.plans(), "units": s.units(), "sample": s.has_demo_data(),
                    "area": s.area(), "aliases": s.aliases(), "definitions": s.definitions_by_year(),
                    "settings": self._settings(s)}

    def exists(self) -> bool:
        return self._store.schema_version() > 0

    def months(self) -> list[tuple[int, int]]:
        return self._store.months()

    def plans(self) -> pd.DataFrame:
        return self._store.plans()

    def unit_named(self, name: str) -> str:
        """The unit a typed name means (its own name, another of its names, or written as files write it)."""
        with self._store.reading() as s:
            units, aliases = s.units(), s.aliases()
        if name in set(units["unit"]):
            return name
        found = ingest.names.Matcher(units, aliases).match(name)
        if found is None:
            raise ValueError(f"Không có đơn vị «{name}».")
        return found

    def units(self) -> pd.DataFrame:
        return self._store.units()

    def aliases(self) -> pd.DataFrame:
        return self._store.aliases()

    def area(self) -> dict:
        return self._store.area()

    def imports(self) -> pd.DataFrame:
        return self._store.imports()

    def plan_of_year(self, year: int) -> dict | None:
        """The stored plan's heading (plan_id, name, year, area, document, source), or None."""
        return self._store.plan_of_year(year)

    def plan(self, year: int) -> plan.Plan:
        return plan.of_year(self._store, year)

    def definitions(self, plan_id: int) -> dict[str, str]:
        return self._store.definitions(plan_id)

    def stored_months(self, units: list[str], year: int, month: int) -> list[str]:
        return self._store.stored_months(units, year, month)

    def scorecard(self, period: Period, as_of: Period | None = None,
                  definitions: dict[str, str] | None = None) -> scorecard.Scorecard:
        return scorecard.build(self._store, period, as_of, definitions)

    def report(self, period: Period):
        from kpi import reports  # charts and office files: loaded when a report is asked for

        return reports.build(self._store, period)

    def fields(self, unit: str, period: Period) -> pd.DataFrame:
        """A unit's rates by field (lĩnh vực) over the period, from its reports by field: field, received,
        then numerator, denominator and rate of the online and on-time rates (empty without such reports)."""
        with self._store.reading() as s:
            counts = s.field_counts(unit, period.months())
            plan_ = s.plan_of_year(period.year)
            definitions = s.definitions(plan_["plan_id"]) if plan_ else {}
        if counts.empty:
            return pd.DataFrame()
        kpis = (measures.get("online"), measures.get("ontime"))
        rates = measures.rates(counts.rename(columns={"field": "unit"}), ["unit"], definitions, kpis)
        wide = rates.pivot(index="unit", columns="kpi", values=["numerator", "denominator", "rate"])
        wide.columns = [f"{kpi}_{value}" for value, kpi in wide.columns]
        order = list(dict.fromkeys(counts["field"]))
        received = counts.groupby("field", sort=False)["received"].sum(min_count=1)
        return wide.loc[order].assign(received=received.loc[order]).rename_axis("field").reset_index()

    def area_trend(self, last: tuple[int, int] | None = None, span: int | None = None) -> pd.DataFrame:
        """The area's rates in each of the `span` months up to `last` (history.area); by default every month."""
        with self._store.reading() as s:
            return history.area(s.month_sums(history.window(s, last, span), measures.every_ratio()),
                                s.definitions_by_year())

    def unit_months(self, unit: str, last: tuple[int, int], span: int = 36) -> pd.DataFrame:
        """One unit's rates in each of the `span` months up to `last`, with the months of the units merged into it
        by then: history.panel's rows of that unit alone."""
        with self._store.reading() as s:
            units = s.units()
            unit_id = int(units.set_index("unit").at[unit, "unit_id"])
            merged = roster.successors(units, roster.month_key(*last))
            own = [] if unit_id in merged else [unit_id, *(u for u, into in merged.items() if into == unit_id)]
            return history.panel(s.monthly_counts(history.window(s, last, span), own), units, s.definitions_by_year(),
                                 as_of=last)

    def ranks(self, kpi: str, last: tuple[int, int], span: int = 36) -> pd.DataFrame:
        """Every unit's rank by one KPI in each of the `span` months up to `last` (history.ranks), merged units
        as what they became."""
        with self._store.reading() as s:
            monthly = history.panel(s.monthly_counts(history.window(s, last, span)), s.units(), s.definitions_by_year(),
                                    as_of=last, kpis=(measures.get(kpi),))
        return history.ranks(monthly, kpi)

    def panel(self, last: tuple[int, int], span: int = 36) -> pd.DataFrame:
        """Every unit's rates in each of the `span` months up to `last` (merged units as what they became)."""
        with self._store.reading() as s:
            return history.panel(s.monthly_counts(history.window(s, last, span)), s.units(), s.definitions_by_year(),
                                 as_of=last)

    def flags(self, period: Period) -> pd.DataFrame:
        """Data-quality flags of a period (a jump is measured from the month before it too)."""
        before = Period(period.year, period.first_month).previous()
        months = [(before.year, before.month), *period.months()]
        with self._store.reading() as s:
            units, counts, definitions = s.units(), s.monthly_counts(months), s.definitions_by_year()
        jumping = tuple(measures.get(k) for k in quality.JUMP_KPIS)  # the rates whose jumps are flagged, alone
        return quality.flags(period, counts, history.panel(counts, units, definitions, kpis=jumping), units)

    def counts_by_month(self, unit: str, last: tuple[int, int]) -> pd.DataFrame:
        """A unit's stored counts (with those of the units merged into it), month by month, up to `last`."""
        with self._store.reading() as s:
            units = s.units()
            counts = roster.fold(s.monthly_counts(history.window(s, last)), units, roster.month_key(*last))
        unit_id = units.set_index("unit").at[unit, "unit_id"]
        return counts[counts["unit_id"] == unit_id].drop(columns="unit_id").reset_index(drop=True)

    # -- monthly imports --------------------------------------------------------------------------------
    def prepare(self, file_name: str, data: bytes,
                progress: Callable[[float, str], None] | None = None) -> ingest.Prepared:
        """Read and check a file for import, storing nothing (kpi.ingest.prepare)."""
        self._require("import")
        return ingest.prepare(file_name, data, self._store, progress=progress)

    def commit(self, prepared: ingest.Prepared, period: tuple[int, int], *, mapping: dict[str, str] | None = None,
               new_units: dict[str, str] | None = None, replace: bool = False,
               accept_warnings: bool = False, skip: frozenset[str] | set[str] = frozenset(),
               unit: str | None = None) -> dict:
        """Store a prepared file (kpi.ingest.Prepared.commit), as the acting user."""
        with self._writing("import", prepared.file_name) as entry:
            result = prepared.commit(self._store, period, mapping=mapping, new_units=new_units, replace=replace,
                                     accept_warnings=accept_warnings, imported_by=self.actor.name, skip=skip,
                                     unit=unit)
            entry["after"] = {"import_id": result["import_id"], "period": f"{period[0]}-{period[1]:02d}",
                              "units": result["units"], "rows": result["rows"], "replaced": result["replaced"],
                              "new_units": sorted(new_units or {}), "skipped": sorted(skip),
                              "warnings_accepted": accept_warnings,
                              "sha256": prepared.sha256}
        return result

    def commit_all(self, batch: list[dict]) -> list[dict]:
        """Several prepared files (each the arguments of `commit`) stored in one transaction: all or none."""
        self._require("import")
        with self._store.transaction():
            return [self.commit(**item) for item in batch]

    def undo_import(self, import_id: int) -> dict:
        with self._writing("undo", import_id) as entry:
            result = self._store.undo_import(import_id)
            entry["after"] = result
        return result

    # -- plans ------------------------------------------------------------------------------------------
    def save_plan(self, read: plan.Plan, replace: bool = False) -> tuple[int, plan.Plan]:
        before = self._store.plan_of_year(read.year) if replace else None
        with self._writing("plan.save", read.year, before=before) as entry:
            plan_id, stored = plan.save(self._store, read, replace=replace)
            entry["after"] = {"name": stored.name, "units": len(stored.units), "targets": stored.targets}
        return plan_id, stored

    def copy_plan(self, source_year: int, year: int, replace: bool = False) -> plan.Plan:
        with self._writing("plan.copy", year, before={"from": source_year}) as entry:
            stored = plan.copy(self._store, source_year, year, replace=replace)
            entry["after"] = {"name": stored.name, "targets": len(stored.targets)}
        return stored

    def update_plan(self, plan_id: int, name: str, document: str | None, source: str | None) -> None:
        self._require("plan.update")
        before = self._plan_heading(plan_id)
        with self._writing("plan.update", before["year"], before=before) as entry:
            self._store.update_plan(plan_id, name, document, source)
            entry["after"] = {"name": name, "document": document, "source": source}

    def set_targets(self, plan_id: int, targets: pd.DataFrame) -> None:
        self._require("targets")
        heading = self._plan_heading(plan_id)
        with self._writing("targets", heading["name"], before=self._store.targets(plan_id)) as entry:
            self._store.set_targets(plan_id, targets)
            entry["after"] = self._store.targets(plan_id)

    def set_definition(self, plan_id: int, kpi: str, variant: str) -> None:
        self._require("definition")
        heading = self._plan_heading(plan_id)
        before = self._store.definitions(plan_id)
        with self._writing("definition", f"{heading['name']}: {measures.get(kpi).label}", before=before) as entry:
            self._store.set_definition(plan_id, kpi, variant)
            entry["after"] = self._store.definitions(plan_id)

    def delete_plan(self, plan_id: int) -> None:
        self._require("plan.delete")
        heading = self._plan_heading(plan_id)
        with self._writing("plan.delete", heading["name"], before={**heading, "targets": self._store.targets(plan_id)}):
            self._store.delete_plan(plan_id)

    def _plan_heading(self, plan_id: int) -> dict:
        found = self._store.plans()
        found = found[found["plan_id"] == plan_id]
        if found.empty:
            raise StoreError(f"Không có kế hoạch số {plan_id}.")
        row = found.iloc[0]
        return {"plan_id": int(plan_id), "name": row["name"], "year": int(row["year"]), "document": row["document"],
                "source": row["source"]}

    # -- units ------------------------------------------------------------------------------------------
    def add_unit(self, name: str, group: str, since: int | None = None) -> None:
        with self._writing("unit.add", name) as entry:
            self._store.add_unit(name, group, since)
            entry["after"] = {"name": name, "group": group, "since": since}

    def rename_unit(self, name: str, new_name: str, alias: str | None = None) -> None:
        with self._writing("unit.rename", name, before={"name": name}) as entry:
            self._store.rename_unit(name, new_name, alias)
            entry["after"] = {"name": new_name, "alias": alias}

    def regroup_unit(self, name: str, group: str, from_year: int | None = None) -> int:
        self._require("unit.regroup")
        before = self._store.units().set_index("unit")["group"].get(name)
        with self._writing("unit.regroup", name, before={"group": before}) as entry:
            changed = self._store.regroup_unit(name, group, from_year)
            entry["after"] = {"group": group, "from_year": from_year, "plans": changed}
        return changed

    def retire_unit(self, name: str, since: int) -> None:
        with self._writing("unit.retire", name) as entry:
            self._store.retire_unit(name, since)
            entry["after"] = {"until": since}

    def merge_units(self, parts: list[str], into: str, since: int, group: str | None = None) -> bool:
        with self._writing("unit.merge", into, before={"parts": parts}) as entry:
            new = self._store.merge_units(parts, into, since, group)
            entry["after"] = {"into": into, "since": since, "group": group, "new_unit": new}
        return new

    def restore_unit(self, name: str) -> None:
        with self._writing("unit.restore", name):
            self._store.restore_unit(name)

    def set_alias(self, alias: str, unit: str, written: str | None = None) -> None:
        with self._writing("alias.set", written or alias) as entry:
            self._store.set_alias(alias, unit, written)
            entry["after"] = {"unit": unit}

    def remove_alias(self, alias: str) -> bool:
        with self._writing("alias.remove", alias) as entry:
            removed = self._store.remove_alias(alias)
            entry["after"] = {"removed": removed}
        return removed

    # -- settings ---------------------------------------------------------------------------------------
    def settings(self) -> dict[str, bool]:
        with self._store.reading() as s:
            return self._settings(s)

    @staticmethod
    def _settings(store: _Store) -> dict[str, bool]:
        chosen = store.settings()
        return {key: chosen.get(key, default) == "true" for key, (_, default) in SETTINGS.items()}

    def set_setting(self, key: str, value: bool) -> None:
        if key not in SETTINGS:
            raise StoreError(f"Không có cài đặt «{key}»; các cài đặt: "
                             + "; ".join(f"{k} ({label})" for k, (label, _) in SETTINGS.items()) + ".")
        with self._writing("setting", key, before={key: self.settings()[key]}) as entry:
            self._store.set_setting(key, "true" if value else "false")
            entry["after"] = {key: bool(value)}

    # -- users and logins -------------------------------------------------------------------------------
    def users(self) -> pd.DataFrame:
        """name, role, disabled, created_at, has_password, failed; never a hash."""
        self._require("users.read")
        return self._store.users()

    def has_users(self) -> bool:
        return not self._store.users().empty

    def has_password(self, name: str) -> bool:
        """Whether the user logs in with a password (not only through the office's sign-on)."""
        users = self._store.users()
        return bool(users.loc[users["name"] == name, "has_password"].any())

    def add_user(self, name: str, role: str, password: str | None) -> str:
        """A new user (password None: single sign-on only). The first user of a database is an admin,
        added on the server itself (the CLI, or a browser on that machine): that is how a new
        installation gets its administrator, and nobody on the network can claim it first."""
        name = login_name(name)
        _check_role(role)
        if password is not None:
            _check_password(name, password)
        digest = _hasher.hash(password) if password is not None else None
        with self._store.transaction(data=False):
            first = not self.has_users()
            if not first:
                self._require("user.add")
            elif role != "admin":
                raise Refused("Người dùng đầu tiên phải có vai trò Quản trị.")
            elif not self.actor.name and self.actor.client not in LOCAL:
                raise Refused("Tài khoản quản trị đầu tiên chỉ tạo được trên chính máy chủ: python -m kpi user add TÊN "
                              "--role admin, hoặc mở ứng dụng bằng trình duyệt trên máy chủ.")
            actor = Actor(name, "admin", self.actor.client) if first and not self.actor.name else self.actor
            self._store.add_user(name, role, digest)
            self._log("user.add", name, after={"role": role, "password": password is not None}, actor=actor)
        return name

    def set_password(self, name: str, password: str, current: str | None = None) -> None:
        """Admins set another user's password; a user changes their own, giving the current one (an account
        without a password signs on through the office's sign-on only, and keeps it that way)."""
        name = login_name(name)
        own = self.actor.name == name
        if not own:
            self._require("user.password")
        found = self._known(name)
        if own and (found["password_hash"] is None or not _verifies(found["password_hash"], current)):
            raise Refused("Mật khẩu hiện tại không đúng." if found["password_hash"] else
                          "Tài khoản này đăng nhập một lần qua hệ thống của cơ quan, không dùng mật khẩu.")
        _check_password(name, password)
        with self._store.transaction(data=False):
            self._store.update_user(name, password_hash=_hasher.hash(password), failed=0, failed_at=None)
            self._log("user.password", name)

    def set_role(self, name: str, role: str) -> None:
        self._require("user.role")
        name = login_name(name)
        _check_role(role)
        before = self._known(name)
        with self._writing("user.role", name, before={"role": before["role"]}, data=False) as entry:
            if before["role"] == "admin" and role != "admin":
                self._keep_an_admin(name)
            self._store.update_user(name, role=role)
            entry["after"] = {"role": role}

    def set_disabled(self, name: str, disabled: bool = True) -> None:
        action = "user.disable" if disabled else "user.enable"
        self._require(action)
        name = login_name(name)
        self._known(name)
        with self._writing(action, name, data=False):
            if disabled:
                self._keep_an_admin(name)
            self._store.update_user(name, disabled=disabled, failed=0, failed_at=None)

    def _known(self, name: str) -> dict:
        found = self._store.user(name)
        if found is None:
            raise Refused(f"Không có người dùng «{name}».")
        return found

    def _keep_an_admin(self, name: str) -> None:
        users = self._store.users()
        others = users[(users["role"] == "admin") & ~users["disabled"] & (users["name"] != name)]
        if others.empty:
            raise Refused(f"«{name}» là quản trị viên cuối cùng còn hoạt động; hãy thêm quản trị viên khác trước.")

    def actor_of(self, name: str | None, client: str | None = None) -> Actor:
        """The user as the database knows them now (a role changed or an account disabled since login
        counts from the next step): their Actor, or one not logged in."""
        found = self._store.user(name) if name else None
        if found is None or found["disabled"]:
            return Actor(client=client)
        return Actor(found["name"], found["role"], client)

    def login(self, name: str, password: str, client: str | None = None) -> Actor:
        """Check a password. Each attempt is counted before the check, per name and per client, and failed
        ones in a row make the next wait; every failure is logged (a known name, never the password)."""
        key = (name or "").strip().lower()[:64]
        now = clock()
        waited = _attempts.reserve(("client", client), now)
        found = None
        if waited <= 0:
            with self._store.transaction(data=False):  # one attempt at a time per name, across processes
                found = self._store.user(key) if NAME.match(key) else None
                if found is None:
                    waited = _attempts.reserve(("name", key), now)  # unknown names are slowed alike
                elif wait_after(found["failed"]):
                    waited = pd.Timestamp(found["failed_at"]).timestamp() + wait_after(found["failed"]) - now
                if found is not None and waited <= 0:
                    self._store.update_user(key, failed=found["failed"] + 1,
                                            failed_at=dt.datetime.fromtimestamp(now, dt.UTC).replace(tzinfo=None))
        if waited > 0:
            raise Refused(f"Đăng nhập sai nhiều lần; hãy thử lại sau {math.ceil(round(waited, 3))} giây.")
        digest = found["password_hash"] if found else None
        if not _verifies(digest or _DUMMY_HASH, password) or digest is None:
            with self._store.transaction(data=False):
                self._log("login.failed", key if found else None, after=None if found else {"known": False},
                          actor=Actor(client=client))
            raise Refused("Sai tên đăng nhập hoặc mật khẩu.")
        _attempts.give_back(("client", client))
        if found["disabled"]:
            with self._store.transaction(data=False):
                self._log("login.failed", key, after={"disabled": True}, actor=Actor(client=client))
            raise Refused(f"Tài khoản «{key}» đã bị khoá; hãy liên hệ quản trị viên.")
        actor = Actor(key, found["role"], client)
        with self._store.transaction(data=False):
            changes = {"failed": 0, "failed_at": None}
            if _hasher.check_needs_rehash(digest):
                changes["password_hash"] = _hasher.hash(password)
            self._store.update_user(key, **changes)
            self._log("login", key, actor=actor)
        return actor

    def identify(self, identity: str | None, client: str | None = None) -> Actor:
        """Single sign-on: the identity the office's sign-on vouches for (an e-mail address) is the
        user of that name, if single sign-on is turned on and the user is not disabled."""
        if not identity or not self.settings()["sso"]:
            return Actor(client=client)
        try:
            key = login_name(identity)
        except Refused:
            return Actor(client=client)
        return self.actor_of(key, client)

    # -- the audit trail --------------------------------------------------------------------------------
    def audit(self, since=None, until=None, actor: str | None = None, actions: list[str] | None = None) -> pd.DataFrame:
        """The audit trail, newest first (admins only)."""
        self._require("audit.read")
        return self._store.audit(since, until, actor, actions)

    def audit_actors(self) -> list[str]:
        """Everyone the audit trail names (admins only)."""
        self._require("audit.read")
        return self._store.audit_actors()
