"""Shared pieces of the Streamlit pages: the store, the period frame kept in the URL, cached
engine results, and tables in Vietnamese. Pages read widgets, call these and `kpi`, and render."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import charts, fmt, history, measures, plan, quality, roster, scorecard, setup
from kpi.periods import SCOPES, Period
from kpi.store import DEMO_LABEL, Store, StoreError, default_path

NEW_UNIT = "— Thêm đơn vị mới —"
BAND_STYLES = {"met": "background-color: #c8e6c9", "near": "background-color: #fff3c4",
               "below": "background-color: #ffcdd2"}


# -- the store and cached results (keyed by the file's version: any write, by any process, renews them) --
@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    store = Store(path)
    setup.ensure_demo(store)  # first start: create the database on the sample data
    return store


def store() -> Store:
    return _store(str(default_path()))


def _key() -> tuple[str, tuple]:
    s = store()
    return str(s.path), s.version()


@st.cache_data(show_spinner=False, max_entries=64)
def _facts(path: str, version: tuple) -> dict:
    with Store(path).reading() as s:
        return {"months": s.months(), "plans": s.plans(), "units": s.units(), "sample": s.has_demo_data(),
                "area": s.area(), "aliases": s.aliases(), "definitions": s.definitions_by_year()}


def facts() -> dict:
    """Months with data, plans, units and their other names, the area, and whether the data is a sample."""
    return _facts(*_key())


def predecessors(unit: str) -> list[str]:
    """The units merged into this one."""
    units = facts()["units"]
    own = units.loc[units["unit"] == unit, "unit_id"]
    return units.loc[units["successor"].isin(own), "unit"].tolist() if len(own) else []


def months() -> list[tuple[int, int]]:
    return facts()["months"]


@st.cache_data(show_spinner=False, max_entries=256)
def _card(path: str, version: tuple, period: Period, as_of: Period | None) -> scorecard.Scorecard:
    return scorecard.build(Store(path), period, as_of)


def card(period: Period | None = None, as_of: Period | None = None) -> scorecard.Scorecard:
    """The scorecard of a period (by default the one chosen in the sidebar), judged by its year's plan;
    `as_of` lists the units as they are at a later period's end, for comparing with it."""
    return _card(*_key(), period or chosen_period(), as_of)


@st.cache_data(show_spinner=False, max_entries=64)
def _panel(path: str, version: tuple, last: tuple[int, int], span: int) -> pd.DataFrame:
    with Store(path).reading() as s:
        return history.panel(s.monthly_counts(history.window(s, last, span)), s.units(), s.definitions_by_year(),
                             as_of=last)


def panel(last: tuple[int, int] | None = None, span: int = 36) -> pd.DataFrame:
    """Every unit's rates in each of the `span` stored months up to `last` (units merged by then
    counted as the unit they became)."""
    period = chosen_period()
    return _panel(*_key(), last or (period.year, period.last_month), span)


@st.cache_data(show_spinner=False, max_entries=64)
def _flags(path: str, version: tuple, period: Period) -> pd.DataFrame:
    before = Period(period.year, period.first_month).previous()  # for a jump in the period's first month
    months = [(before.year, before.month), *period.months()]
    with Store(path).reading() as s:
        units, counts, definitions = s.units(), s.monthly_counts(months), s.definitions_by_year()
    return quality.flags(period, counts, history.panel(counts, units, definitions), units)


def flags() -> pd.DataFrame:
    return _flags(*_key(), chosen_period())


@st.cache_data(show_spinner=False, max_entries=64)
def _counts_by_month(path: str, version: tuple, unit: str, last: tuple[int, int]) -> pd.DataFrame:
    with Store(path).reading() as s:
        units = s.units()
        counts = roster.fold(s.monthly_counts(history.window(s, last)), units, roster.month_key(*last))
    unit_id = units.set_index("unit").at[unit, "unit_id"]
    return counts[counts["unit_id"] == unit_id].drop(columns="unit_id").reset_index(drop=True)


def counts_by_month(unit: str) -> pd.DataFrame:
    """A unit's stored counts (with those of the units merged into it), month by month, up to the
    chosen period."""
    period = chosen_period()
    return _counts_by_month(*_key(), unit, (period.year, period.last_month))


@st.cache_data(show_spinner=False, max_entries=16)
def _report(path: str, version: tuple, period: Period):
    from kpi import reports

    return reports.build(Store(path), period)


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


def frame() -> None:
    """The sidebar of every page: the area, scope and month, and the plan that judges it; the
    sample-data banner."""
    flash()
    known = facts()
    available = known["months"][::-1] or [(pd.Timestamp.today().year, pd.Timestamp.today().month)]
    with st.sidebar:
        if known["area"]["name"]:
            st.subheader(known["area"]["name"])
        st.header("Kỳ báo cáo")
        url_widget(st.selectbox, "Phạm vi", "scope", list(SCOPES), "month", format_func=SCOPES.get)
        url_widget(st.selectbox, "Đến tháng", "period", available, available[0], _month_text,
                   format_func=lambda ym: f"Tháng {ym[1]}/{ym[0]}")
        year = chosen_period().year if known["months"] else available[0][0]
        judging = known["plans"][known["plans"]["year"] == year]
        st.caption("Chỉ tiêu theo: " + (f"**{judging['name'].iloc[0]}**" if len(judging) else
                                        f":orange[{plan.no_plan(year)}]"))
        if known["sample"]:
            st.caption(f":orange[**{DEMO_LABEL}**]")
    if known["sample"]:
        st.warning(f"**{DEMO_LABEL}**: các số liệu dưới đây là dữ liệu mẫu để dùng thử, không phải số liệu thật. "
                   "Nhập báo cáo tháng thật ở trang «Nhập dữ liệu», hoặc thiết lập địa bàn của mình ở trang "
                   "«Thiết lập».", icon=":material/science:")


def require_data() -> None:
    """Stop a page that shows figures when there are none yet, saying where they come from."""
    if not months():
        st.info("Chưa có số liệu. Hãy nhập báo cáo tháng ở trang «Nhập dữ liệu».", icon=":material/info:")
        st.stop()


def chosen_period() -> Period:
    year, month = st.session_state.get("_period") or months()[-1]
    return Period(year, month, st.session_state.get("_scope", "month"))


def caption(card: scorecard.Scorecard) -> None:
    st.caption(f"{card.area} · {card.period.label} · {card.plan_name}")
    if card.plan is None:
        no_plan(card.period.year)
    wanted, present = card.period.months(), card.months_present
    if present and len(present) < len(wanted):
        have = ", ".join(f"{m}/{y}" for y, m in present)
        st.info(f"{card.period.label} mới có số liệu tháng {have}.", icon=":material/info:")
    elif not present:
        st.info(f"Chưa có số liệu của {card.period.label}.", icon=":material/info:")


def no_plan(year: int) -> None:
    """Say that the year has no plan, so nothing is judged, and offer to copy the nearest year's."""
    plans = facts()["plans"]
    st.warning(f"**{plan.no_plan(year)}**: các tỷ lệ dưới đây không được đánh giá đạt hay chưa đạt, vì năm {year} "
               "chưa có chỉ tiêu.", icon=":material/event_busy:")
    left, right = st.columns([1, 1])
    earlier, later = plans[plans["year"] < year], plans[plans["year"] > year]
    if len(earlier) or len(later):
        source = int(earlier["year"].max()) if len(earlier) else int(later["year"].min())
        left.button(f"Chép kế hoạch năm {source} sang năm {year}", key=f"copy_plan_{year}", icon=":material/content_copy:",
                    on_click=copy_plan, args=(source, year))
    right.page_link("views/targets.py", label=f"Nhập hoặc soạn kế hoạch năm {year}", icon=":material/target:")


def copy_plan(source: int, year: int) -> None:
    """Next year's plan to start from: the chosen year's, copied (a button's callback)."""
    try:
        stored = plan.copy(store(), source, year)
    except (ValueError, StoreError) as error:
        st.session_state["flash"] = ("error", str(error))
        return
    st.cache_data.clear()
    st.session_state["flash"] = ("success", f"Đã chép kế hoạch năm {source} sang năm {year}: «{stored.name}». Sửa chỉ "
                                            f"tiêu của năm {year} ở trang «Chỉ tiêu».")


def written(message: str) -> None:
    """After a write: fresh figures everywhere, and `message` said on the next run, which starts now."""
    st.cache_data.clear()
    st.session_state["flash"] = ("success", message)
    st.rerun()


def flash() -> None:
    """The message a callback left for this run."""
    kind, message = st.session_state.pop("flash", (None, None))
    if kind == "success":
        st.success(message, icon=":material/check_circle:")
    elif kind:
        st.error(message, icon=":material/error:")


def trend(rows: pd.DataFrame, kpis: list[str], card: scorecard.Scorecard, lines: dict, title: str):
    """charts.trend with the card's targets over its own year, and where a KPI starts being counted
    another way."""
    return charts.trend(rows, kpis, lines, title, target_year=card.period.year,
                        breaks=history.definition_breaks(rows, facts()["definitions"], kpis))


def counted_otherwise(earlier: scorecard.Scorecard, card: scorecard.Scorecard, kpi: str) -> str:
    """'; kỳ đó tính theo …' when the earlier period's plan counts a KPI another way: a change across
    definitions is said, not hidden."""
    was, now = measures.get(kpi).ratio(earlier.definitions), measures.get(kpi).ratio(card.definitions)
    return "" if was == now else f" (kỳ đó tính theo cách khác: {was.note})"


def target_line(card: scorecard.Scorecard, target, verdict: str) -> str:
    """'Chỉ tiêu: **Trên 90** — Đạt', or that the plan sets none, or that the year has no plan."""
    if card.plan is None:
        return f"{card.plan_name}: không đánh giá"
    if not isinstance(target, str):
        return "Kế hoạch không đặt chỉ tiêu này"
    return f"Chỉ tiêu: **{target}** — {verdict}"


def chart_config(file_name: str) -> dict:
    """plotly's toolbar: a PNG download with a Vietnamese file name, at a high resolution."""
    return {"displaylogo": False, "toImageButtonOptions": {"format": "png", "filename": file_name, "scale": 3}}


def counter(name: str, step: int = 0) -> int:
    """A per-session counter; stepping it gives a widget a new key, which empties it."""
    key = f"counter_{name}"
    st.session_state[key] = st.session_state.get(key, 0) + step
    return st.session_state[key]


# -- tables in Vietnamese -----------------------------------------------------------------------------
def styled(table: pd.DataFrame, bands: pd.Series, column: str = "Đánh giá"):
    """Green / amber / red on the verdict column."""
    colours = [BAND_STYLES.get(b, "") if isinstance(b, str) else "" for b in bands]
    return table.style.apply(lambda _: colours, subset=[column], axis=0)


def ranking_export(rows: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """The ranking with numbers as numbers, for xlsx and csv."""
    return pd.DataFrame({
        "Hạng": rows["rank"], "Đơn vị": rows["unit"], "Nhóm": rows["group"],
        f"{measures.get(kpi).label} (%)": rows["rate"].astype("Float64").round(2),
        "Chỉ tiêu": rows["target"], "Đánh giá": rows["status"].map(scorecard.STATUS_LABELS),
        "Cần thêm (hồ sơ)": rows["needed"].where(rows["status"] == scorecard.NOT_MET),
        "Tử số": rows["numerator"], "Mẫu số": rows["denominator"],
    })


def preview_table(preview: pd.DataFrame) -> pd.DataFrame:
    """The import preview with Vietnamese headings and numbers."""
    return pd.DataFrame({
        "Dòng": preview["row"],
        "Tên trong tệp": preview["name"],
        "Đơn vị": preview["unit"],
        "Tổng số nhận": preview["received"].map(fmt.number),
        "Trực tuyến": [f"{fmt.number(n)}/{fmt.number(d)}" for n, d in
                       zip(preview["online_numerator"], preview["online_denominator"])],
        "Tỷ lệ trực tuyến": preview["online_rate"].map(fmt.percent),
        "Tỷ lệ TT không dùng tiền mặt": preview["cashless_rate"].map(fmt.percent),
        "Tỷ lệ đúng hạn": preview["ontime_rate"].map(fmt.percent),
    })


def flag_list(found: pd.DataFrame) -> None:
    """Data-quality flags as a list the user reads."""
    if found.empty:
        st.caption("Không phát hiện bất thường trong số liệu của kỳ này.")
        return
    st.warning(f"{len(found)} điểm cần kiểm tra trong số liệu:", icon=":material/flag:")
    st.dataframe(pd.DataFrame({"Đơn vị": found["unit"], "Nội dung": found["message"]}), hide_index=True,
                 width="stretch")
