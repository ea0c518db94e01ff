"""The real app, driven by Streamlit's AppTest, on real DuckDB files."""
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from kpi import fmt, scorecard
from kpi.periods import Period
from kpi.store import Store

APP = str(ROOT / "app.py")


def open_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def test_first_start_creates_the_demo_database(tmp_path, monkeypatch):
    path = tmp_path / "new" / "kpi.duckdb"
    monkeypatch.setenv("KPI_DB", str(path))
    at = open_app()
    assert path.exists() and Store(path).has_demo_data()
    assert at.title[0].value == "Tổng quan"
    assert "Dữ liệu mẫu" in at.warning[0].value


def test_overview_shows_the_engines_numbers(demo_env):
    at = open_app()
    at.sidebar.selectbox(key="month").set_value((2024, 6)).run()
    assert not at.exception
    engine = scorecard.build(Store(demo_env), Period(2024, 6)).totals().set_index("kpi")
    before = scorecard.build(Store(demo_env), Period(2024, 5)).totals().set_index("kpi")
    metrics = {m.label: m for m in at.metric}
    online = metrics["Tỷ lệ hồ sơ trực tuyến"]
    assert online.value == fmt.percent(engine.at["online", "rate"]) == "90,51%"
    assert online.delta == fmt.change(engine.at["online", "rate"], before.at["online", "rate"])
    cashless = metrics["Tỷ lệ thanh toán không dùng tiền mặt"]
    assert cashless.value == fmt.percent(engine.at["cashless", "rate"]) == "62,01%"
    texts = [m.value for m in at.markdown]
    assert "Chỉ tiêu: **Trên 80%** — :green[**Đạt**]" in texts
    assert "Chỉ tiêu: **Trên 40%** — :green[**Đạt**]" in texts
    captions = [c.value for c in at.caption]
    assert any(c.startswith("1.469 / 1.623 hồ sơ") for c in captions)
    assert "Huyện Mỹ Tú · Tháng 6/2024 · Kế hoạch 64/KH-UBND năm 2024" in captions


def test_month_without_cashless_counts_shows_no_rate(demo_env):
    at = open_app()
    at.sidebar.selectbox(key="month").set_value((2023, 3)).run()
    metrics = {m.label: m for m in at.metric}
    assert metrics["Tỷ lệ thanh toán không dùng tiền mặt"].value == "—"
    assert "Chỉ tiêu: **Trên 40%** — không đánh giá" in [m.value for m in at.markdown]
