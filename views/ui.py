"""Shared pieces of the Streamlit pages: the store, the period frame kept in the URL, cached
engine results, and tables in Vietnamese. Pages read widgets, call these and `kpi`, and render."""
from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Iterator

import pandas as pd
import streamlit as st

from kpi import fmt, history, ingest, plan, scorecard, service
from kpi import text as kpi_text
from kpi.periods import SCOPES, Period
from kpi.service import DEMO_LABEL, ROLES, Actor, Service, StoreError  # noqa: F401 (ROLES: for the pages)

NEW_UNIT = "— Thêm đơn vị mới —"
SKIP_ROW = "— Bỏ qua dòng này —"
UPLOAD_MB = ingest.Limits().max_bytes // 1048576  # each uploader says and keeps the readers' own cap


# Streamlit's own words, in Vietnamese: it has no translation of its own, so its English labels are hidden
# and the Vietnamese shown in their place; its menu (English, for developers) and its "Running…/Stop" go
_CHROME = """<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "Chọn tệp"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "hoặc kéo thả tệp vào đây · tối đa %MB% MB"; font-size: 0.875rem; }
[data-testid="stMainMenu"], [data-testid="stStatusWidget"] { display: none; }
/* the login form's empty elements, there only for the browser to load their code (auth._code_ahead) */
.st-key-code_ahead { display: none; }
/* the answer above the fold: less empty space above a page's title */
[data-testid="stMainBlockContainer"] { padding-top: 3rem; }
</style>"""


def chrome() -> None:
    """Streamlit's own labels in Vietnamese (on every run: a page's styles live as long as its run)."""
    st.html(_CHROME.replace("%MB%", str(UPLOAD_MB)))


# -- the doorway and cached results (keyed by the file's version: any write, by any process, renews them) --
@st.cache_resource(show_spinner=False)
def _started(path: str) -> bool:
    Service(path).ensure()  # first start: create the database on the sample data
    return True


def _path() -> str:
    path = str(service.default_path())
    _started(path)
    return path


_VERSIONS: dict[str, tuple] = {}  # path -> the latest version its figures were asked for at
_VERSIONS_LOCK = threading.Lock()


def _key() -> tuple[str, tuple]:
    path = _path()
    version = Service(path).version()
    with _VERSIONS_LOCK:  # a run that read the version before a write must not take the figures back to it
        renewed = Service.later(version, _VERSIONS.setdefault(path, version))
        if renewed:
            _VERSIONS[path] = version
    if renewed:  # written meanwhile, maybe by the CLI: the old figures go now
        fresh()
    return path, version


def doorway() -> Service:
    """The database, as the user of this session: every write is checked against their role there."""
    return Service(_path(), actor())


# figures made from the database at most two at a time, whatever the number of sessions: the machine has two
# cores, and more at once would only hold more memory while each waits for the interpreter
_MAKING = threading.BoundedSemaphore(2)
# pages run a few at a time, the others waiting their turn: twenty sessions' runs at once on two cores take no
# less time in all, and each holds its frames meanwhile
_PAGES = threading.BoundedSemaphore(max(1, int(os.environ.get("KPI_PAGES_AT_ONCE", 3))))
TURN_WAIT = 20  # seconds a run waits for its turn at most: a few long runs (uploads being read) never stop the app
_RUN = threading.local()  # what a script run looks up once (its thread runs nothing else meanwhile)


def new_run() -> None:
    """Forget what the previous run looked up: app.py, at the start of each run."""
    _RUN.__dict__.clear()


def actor() -> Actor:
    """Who uses this session: the user who logged in here, or the one the office's single sign-on
    vouches for; as the database knows them now (a disabled account is logged out at its next step).
    Looked up once a run."""
    name, path = st.session_state.get("user"), _path()
    known = getattr(_RUN, "actor", None)
    if known and known[0] == (name, path):
        return known[1]
    door = Service(path)
    found = door.actor_of(name, client()) if name else door.identify(_vouched(), client())
    _RUN.actor = ((name, path), found)
    return found


def _vouched() -> str | None:
    """The e-mail address st.login (OIDC) or the proxy's trusted headers give, when they give one."""
    if not st.user.get("is_logged_in", True) or st.user.get("email_verified", True) is False:
        return None
    return st.user.get("email")


def client() -> str | None:
    """The browser's address (behind the office's proxy, the one the proxy vouches for; None on the
    server itself): for the audit trail, and to slow down guessing from one place."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None


@st.cache_data(show_spinner=False, max_entries=64)
def _facts(path: str, version: tuple) -> dict:
    return Service(path).facts()


def facts() -> dict:
    """Months with data, plans, units and their other names, the area, settings, and whether the data
    is a sample."""
    return _facts(*_key())


def predecessors(unit: str) -> list[str]:
    """The units merged into this one."""
    units = facts()["units"]
    own = units.loc[units["unit"] == unit, "unit_id"]
    return units.loc[units["successor"].isin(own), "unit"].tolist() if len(own) else []


def months() -> list[tuple[int, int]]:
    return facts()["months"]


# one scorecard object shared by every session (not a copy per run, as cache_data gives): it is frozen, hands
# out fresh frames, and keeps the rankings and totals the pages ask it for
@st.cache_resource(show_spinner=False, max_entries=16)
def _card(path: str, version: tuple, period: Period, as_of: Period | None) -> scorecard.Scorecard:
    with _MAKING:
        return Service(path).scorecard(period, as_of)


def card(period: Period | None = None, as_of: Period | None = None) -> scorecard.Scorecard:
    """The scorecard of a period (by default the one chosen in the sidebar), judged by its year's plan;
    `as_of` lists the units as they are at a later period's end, for comparing with it."""
    return _card(*_key(), period or chosen_period(), as_of)


def overview_cards(chosen: Period, key: tuple | None = None) -> list[scorecard.Scorecard]:
    """The overview's cards: the chosen period and its counterpart, judged unit by unit, then the period before
    and a year earlier, only compared with. Those not made yet are made side by side (numpy's sums run beside
    Python)."""
    key = key or _key()
    shown, compared = (chosen, chosen.counterpart()), (chosen.previous(), chosen.year_earlier())

    def made(period: Period) -> scorecard.Scorecard:
        found = _card(*key, period, None)
        found.totals()  # made now, and kept in the shared card
        found.judge(found.kpis_on_cards() if period in shown else [])
        return found

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(made, [*shown, *compared]))


_WARMED: set = set()  # (path, version) whose overview was made ahead


def warm_overview() -> None:
    """While the login form is shown: the figures the overview opens on (the latest month) made meanwhile, in the
    background, for whoever logs in."""
    key, found = _key(), months()
    if key in _WARMED or not found:
        return
    _WARMED.add(key)

    def make() -> None:
        try:
            overview_cards(Period(*found[-1]), key)
            _area_trend(*key)
        except Exception:  # noqa: BLE001 - made again, and said, when the page asks for it
            logging.getLogger("dvc-kpi").exception("overview made ahead")

    threading.Thread(target=make, name="overview-ahead", daemon=True).start()


# every unit's rank month by month: large for a province (3.321 units × 36 months), so kept once, not copied into
# each run, and only for the latest periods asked for; pages filter it and never change it
@st.cache_resource(show_spinner=False, max_entries=2)
def _ranks(path: str, version: tuple, kpi: str, last: tuple[int, int]) -> pd.DataFrame:
    with _MAKING:
        return Service(path).ranks(kpi, last)


def ranks(kpi: str) -> pd.DataFrame:
    """Every unit's rank by `kpi` in each of the 36 stored months up to the chosen period (history.ranks)."""
    period = chosen_period()
    return _ranks(*_key(), kpi, (period.year, period.last_month))


@st.cache_data(show_spinner=False, max_entries=64)
def _unit_months(path: str, version: tuple, unit: str, last: tuple[int, int]) -> pd.DataFrame:
    return Service(path).unit_months(unit, last)


def unit_months(unit: str) -> pd.DataFrame:
    """One unit's rates in each of the 36 stored months up to the chosen period, with the months of the units
    merged into it by then."""
    period = chosen_period()
    return _unit_months(*_key(), unit, (period.year, period.last_month))


@st.cache_data(show_spinner=False, max_entries=4)
def _area_trend(path: str, version: tuple) -> pd.DataFrame:
    with _MAKING:
        return Service(path).area_trend()


def area_trend(span: int = 24) -> pd.DataFrame:
    """The area's rates month by month over the `span` months up to the chosen period (history.area): every
    stored month made once, for whichever period is chosen."""
    period = chosen_period()
    return history.last_months(_area_trend(*_key()), (period.year, period.last_month), span)


@st.cache_data(show_spinner=False, max_entries=64)
def _flags(path: str, version: tuple, period: Period) -> pd.DataFrame:
    with _MAKING:
        return Service(path).flags(period)


def flags() -> pd.DataFrame:
    return _flags(*_key(), chosen_period())


@st.cache_data(show_spinner=False, max_entries=64)
def _counts_by_month(path: str, version: tuple, unit: str, last: tuple[int, int]) -> pd.DataFrame:
    return Service(path).counts_by_month(unit, last)


def counts_by_month(unit: str) -> pd.DataFrame:
    """A unit's stored counts (with those of the units merged into it), month by month, up to the
    chosen period."""
    period = chosen_period()
    return _counts_by_month(*_key(), unit, (period.year, period.last_month))


@st.cache_data(show_spinner=False, max_entries=64)
def _fields(path: str, version: tuple, unit: str, period: Period) -> pd.DataFrame:
    return Service(path).fields(unit, period)


def fields(unit: str) -> pd.DataFrame:
    """The unit's rates by field (lĩnh vực) over the chosen period: empty without reports by field."""
    return _fields(*_key(), unit, chosen_period())


@st.cache_data(show_spinner=False, max_entries=16)
def _report(path: str, version: tuple, period: Period):
    return Service(path).report(period)


def report():
    """The chosen period's Report (kpi.reports), cached until the data changes."""
    return _report(*_key(), chosen_period())


# -- the frame: plan and period chosen once, kept across pages and in the URL --------------------------
def url_widget(widget, label: str, key: str, options: list, default, to_text=str, **kwargs):
    """A selectbox-like widget whose value is kept across pages and in the URL (?key=value).

    Streamlit forgets a widget's value when the page changes, so the value lives under "_key"
    and seeds the widget on every run; the URL seeds it on a session's first run.
    """
    kept = f"_{key}"
    by_text = {to_text(o): o for o in options}
    if kept not in st.session_state:
        st.session_state[kept] = by_text.get(st.query_params.get(key), default)
    if st.session_state[kept] not in options:
        st.session_state[kept] = default
    st.session_state[key] = st.session_state[kept]
    value = widget(label, options, key=key, on_change=lambda: st.session_state.update({kept: st.session_state[key]}),
                   **kwargs)
    st.query_params[key] = to_text(value)
    return value


def _month_text(ym: tuple[int, int]) -> str:
    return f"{ym[0]}-{ym[1]:02d}"


def _month_of(text) -> tuple[int, int] | None:
    """'2025-05' -> (2025, 5); None for anything else."""
    try:
        period = Period.parse(str(text))
    except (ValueError, TypeError):
        return None
    return period.year, period.month


def frame() -> None:
    """The sidebar of every page: the area, scope and month, and the plan that judges it; the
    sample-data banner."""
    flash()
    known = facts()
    available = known["months"][::-1] or [(pd.Timestamp.today().year, pd.Timestamp.today().month)]
    asked = _month_of(st.query_params.get("period"))
    if "_period" not in st.session_state and asked and asked not in available:
        st.session_state["_asked_month"] = asked  # a shared link's month opens, even without data
    if (extra := st.session_state.get("_asked_month")) and extra not in available:
        available = sorted({*available, extra}, reverse=True)
    with st.sidebar:
        if known["area"]["name"]:
            st.subheader(plain(known["area"]["name"]))
        st.header("Kỳ báo cáo")
        url_widget(st.selectbox, "Phạm vi", "scope", list(SCOPES), "month", format_func=SCOPES.get)
        url_widget(st.selectbox, "Đến tháng", "period", available, available[0], _month_text,
                   format_func=lambda ym: f"Tháng {ym[1]}/{ym[0]}")
        year = chosen_period().year if known["months"] else available[0][0]
        judging = known["plans"][known["plans"]["year"] == year]
        st.caption("Chỉ tiêu theo: " + (f"**{plain(judging['name'].iloc[0])}**" if len(judging) else
                                        f":orange[{plan.no_plan(year)}]"))
        if known["sample"]:
            st.caption(f":orange[**{DEMO_LABEL}**]")
    if known["sample"]:
        st.warning(f"**{DEMO_LABEL}**: các số liệu dưới đây là dữ liệu mẫu để dùng thử, không phải số liệu thật. "
                   "Nhập báo cáo tháng thật ở trang «Nhập dữ liệu», hoặc thiết lập địa bàn của mình ở trang "
                   "«Thiết lập».", icon=":material/science:")


def error_box(error: Exception) -> None:
    """An error's message (which may quote a file's or a person's names) in a red box, as plain text."""
    st.error(plain(str(error)), icon=":material/error:")


error = error_box


plain = kpi_text.in_markdown  # names, file names and messages inside Markdown: shown as written


@contextmanager
def writes_waiting() -> Iterator[None]:
    """A page's run: it waits for one of a few turns to run (see _PAGES), and a write kept waiting for its turn
    (another session's, the CLI's) says so where it was asked for, until it is written."""
    holder = []

    def report(ahead: int, seconds: float) -> None:
        give_turn_up()  # a write may wait minutes: other sessions' pages run meanwhile
        if not holder:
            holder.append(st.empty())
        holder[0].info(f"Đang chờ lượt ghi vào cơ sở dữ liệu: {fmt.number(ahead)} việc ghi đang trước "
                       f"({fmt.number(round(seconds))} giây)…", icon=":material/hourglass_top:")

    with doorway().waiting_shown(report):
        _RUN.turn = _PAGES.acquire(timeout=TURN_WAIT)
        try:
            yield
        finally:
            give_turn_up()
            if holder:
                holder[0].empty()


def give_turn_up() -> None:
    """Before a long wait (a write's turn, a file being read): this run lets another page run meanwhile, and goes
    on afterwards without a turn."""
    if getattr(_RUN, "turn", False):
        _RUN.turn = False
        _PAGES.release()


def attempt(action, message: str) -> None:
    """Run a write (a page's button): a refusal is said on the page, a success after the rerun."""
    try:
        action()
    except (StoreError, ValueError) as error:
        error_box(error)
    else:
        written(message)


def failed(error: Exception) -> None:
    """What a user sees when a page fails: the store's own words, or a plain sentence; never a traceback
    (the server's log keeps it)."""
    if isinstance(error, StoreError):
        error_box(error)
    else:
        st.error(f"Trang này gặp lỗi ngoài dự kiến nên chưa hiển thị được (lúc {pd.Timestamp.now():%H:%M:%S}). Hãy tải "
                 "lại trang; nếu lỗi còn, hãy báo quản trị viên: chi tiết đã được ghi ở nhật ký của máy chủ.",
                 icon=":material/error:")


def require_data() -> None:
    """Stop a page that shows figures when there are none yet, saying where they come from."""
    if not months():
        st.info("Chưa có số liệu. Hãy nhập báo cáo tháng ở trang «Nhập dữ liệu».", icon=":material/info:")
        st.stop()


def chosen_period() -> Period:
    year, month = st.session_state.get("_period") or months()[-1]
    return Period(year, month, st.session_state.get("_scope", "month"))


def fresh() -> None:
    """A new version seen (any process's data write, _key): the figures computed before it are let go (new ones
    are computed under the new version anyway; this frees their memory now)."""
    st.cache_data.clear()
    _card.clear()
    _ranks.clear()


def written(message: str, kind: str = "success") -> None:
    """After a write: `message` said on the next run, which starts now. A write that changes figures stamps a new
    version, and that run's _key() lets the old figures go; a login or an account's change keeps them (the overview
    made while the login form was shown)."""
    st.session_state["flash"] = (kind, message)
    st.rerun()


def flash() -> None:
    """The message a callback left for this run."""
    kind, message = st.session_state.pop("flash", (None, None))
    if kind == "greeting":  # a toast: the page's answer stays where it is
        st.toast(plain(message), icon=":material/waving_hand:")
    elif kind == "success":
        st.success(plain(message), icon=":material/check_circle:")
    elif kind:
        st.error(plain(message), icon=":material/error:")


def counter(name: str, step: int = 0) -> int:
    """A per-session counter; stepping it gives a widget a new key, which empties it."""
    key = f"counter_{name}"
    st.session_state[key] = st.session_state.get(key, 0) + step
    return st.session_state[key]


# -- tables in Vietnamese -----------------------------------------------------------------------------