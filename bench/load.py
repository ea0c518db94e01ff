"""People using the running app at once, for the load benchmark (bench/run.py) and its test
(tests/test_load.py): websocket sessions (tests/wsclient.py) that log in one after another, then switch
pages, periods, scopes and KPIs with the widgets, as a person clicks."""
from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from wsclient import Client  # noqa: E402

import province  # noqa: E402

ONLINE = "Tỷ lệ hồ sơ trực tuyến"
SCOPES = {"month": "Tháng", "quarter": "Quý", "ytd": "Lũy kế từ đầu năm"}
KPIS = ["Tỷ lệ hồ sơ trực tuyến", "Tỷ lệ thanh toán không dùng tiền mặt", "Tỷ lệ giải quyết đúng hạn"]


@dataclass
class Seen:
    """One run of a session: where it was, when it began, how long it took, what it showed."""
    page: str
    period: str
    scope: str
    started: float
    seconds: float
    run: object

    @property
    def failed(self):
        """What went wrong in the run, or None."""
        text = " ".join(self.run.texts)
        if self.run.exceptions or self.run.status != "FINISHED_SUCCESSFULLY" or "đang bận" in text or "Lỗi" in text:
            return self.run.exceptions or self.run.status or "đang bận / Lỗi"
        return None


def log_in(client: Client, name: str = "xem", password: str = province.PASSWORD):
    """The login form filled in and sent; the run that follows (the overview)."""
    form = client.run("login", timeout=120)
    return client.run(None, widgets=[client.set(form.find("login_name"), name),
                                     client.set(form.find("login_password"), password),
                                     client.trigger(form.find("login_submit"))], timeout=120)


def online_shown(run) -> str | None:
    """The area's online rate on the overview's card, as shown."""
    return run.texts[run.texts.index(ONLINE) + 1] if ONLINE in run.texts else None


def people(url: str, count: int) -> list[tuple[Client, object]]:
    """`count` sessions logged in one after another (logins at once from one address are slowed as guesses),
    each with the run it is on."""
    sessions = []
    for _ in range(count):
        client = Client(url, timeout=120)
        sessions.append((client, log_in(client)))
    return sessions


def browse(client: Client, run, seed: int, stop: float, months: list[str], record):
    """Click about until `stop` (time.monotonic()): another page, month, scope or KPI; `record(Seen)` after
    each run. The last run."""
    rng = random.Random(seed)
    page, period, scope = "", months[-1], "month"
    while time.monotonic() < stop:
        choice, widgets = rng.random(), []
        if choice < 0.3:
            page = rng.choice([p for p in ("", "ranking", "unit") if p != page])
        elif choice < 0.6:
            period = rng.choice([months[-1], rng.choice(months)])
            widgets = [client.set(run.find("period"), period)]
        elif choice < 0.8:
            scope = rng.choice(list(SCOPES))
            widgets = [client.set(run.find("scope"), SCOPES[scope])]
        elif page == "ranking":
            widgets = [client.set(run.find("kpi"), rng.choice(KPIS))]
        started = time.monotonic()
        run = client.run(page if choice < 0.3 else None, widgets=widgets, timeout=300)
        record(Seen(page, period, scope, started, time.monotonic() - started, run))
    return run
