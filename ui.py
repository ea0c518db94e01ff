"""Shared pieces of the Streamlit pages: the store, cached engine results, formatting widgets.
Pages read widgets, call these and `kpi`, and render."""
from __future__ import annotations

import streamlit as st

import pandas as pd

from kpi import fmt, scorecard, setup
from kpi.periods import Period
from kpi.store import DEMO_LABEL, Store, default_path


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    store = Store(path)
    setup.ensure_demo(store)  # first start: create the database on the sample data
    return store


def store() -> Store:
    return _store(str(default_path()))


@st.cache_data(show_spinner=False, max_entries=256)
def _months(path: str, version: tuple) -> list[tuple[int, int]]:
    return Store(path).months()


def months() -> list[tuple[int, int]]:
    s = store()
    return _months(str(s.path), s.version())


@st.cache_data(show_spinner=False, max_entries=256)
def _card(path: str, version: tuple, period: Period, plan_id: int | None) -> scorecard.Scorecard:
    return scorecard.build(Store(path), period, plan_id)


def card(period: Period, plan_id: int | None = None) -> scorecard.Scorecard:
    """The scorecard of a period, cached until the database file changes."""
    s = store()
    return _card(str(s.path), s.version(), period, plan_id)


def sample_banner(card: scorecard.Scorecard) -> None:
    if card.sample:
        st.warning(f"**{DEMO_LABEL}** — các số liệu trên trang này là dữ liệu mẫu, không phải số liệu thật.",
                   icon=":material/science:")


NEW_UNIT = "— Thêm đơn vị mới —"


def counter(name: str, step: int = 0) -> int:
    """A per-session counter; stepping it gives a widget a new key, which empties it."""
    key = f"counter_{name}"
    st.session_state[key] = st.session_state.get(key, 0) + step
    return st.session_state[key]


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
