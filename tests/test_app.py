"""The real app, driven by Streamlit's AppTest on the demo database: every page shows the
engine's numbers for the period chosen in the sidebar."""
import io
import os
import subprocess
import sys

import openpyxl
import pandas as pd
from streamlit.testing.v1 import AppTest

from conftest import ROOT, app_test, download, table
from kpi import fmt, scorecard
from kpi.periods import Period
from kpi.store import Store

APP = str(ROOT / "app.py")


def open_app(**params) -> AppTest:
    at = app_test(**params)
    assert not at.exception, at.exception
    return at


def engine(db, period) -> scorecard.Scorecard:
    return scorecard.build(Store(db), period)


def test_first_start_creates_the_demo_database(tmp_path, monkeypatch):
    path = tmp_path / "new" / "kpi.duckdb"
    monkeypatch.setenv("KPI_DB", str(path))
    at = open_app()
    assert path.exists() and Store(path).has_demo_data()
    assert at.title[0].value == "Tổng quan"
    assert at.warning[0].value.startswith("**Dữ liệu mẫu**")
    assert at.sidebar.selectbox(key="period").value == (2024, 12)  # the latest month


def test_overview_shows_the_engines_numbers(demo_env):
    at = open_app()
    at.sidebar.selectbox(key="period").set_value((2024, 6)).run()
    assert not at.exception
    card, before = engine(demo_env, Period(2024, 6)), engine(demo_env, Period(2024, 5))
    year_before = engine(demo_env, Period(2023, 6))
    totals, previous = card.totals().set_index("kpi"), before.totals().set_index("kpi")
    metrics = {m.label: m for m in at.metric}
    online = metrics["Tỷ lệ hồ sơ trực tuyến"]
    assert online.value == fmt.percent(totals.at["online", "rate"]) == "90,51%"
    assert online.delta == fmt.change(totals.at["online", "rate"], previous.at["online", "rate"])
    assert metrics["Tỷ lệ thanh toán không dùng tiền mặt"].value == "62,01%"
    assert metrics["Tỷ lệ giải quyết đúng hạn"].value == fmt.percent(totals.at["ontime", "rate"])
    texts = [m.value for m in at.markdown]
    met, assessed = card.met_count("online")
    assert (met, assessed) == (14, 21)
    assert "Chỉ tiêu: **Trên 80%** — :green[**Đạt**]  \n**14/21** đơn vị đạt" in texts
    assert online.help.startswith("1.469 / 1.623 hồ sơ")
    last_year = year_before.totals().set_index("kpi").at["online", "rate"]
    assert f"So với cùng kỳ năm trước (Tháng 6/2023): {fmt.change(totals.at['online', 'rate'], last_year)}" \
        in online.help
    below = at.table[0].value  # the month, then its year-to-date beside it
    expected = card.below_target("online")
    assert below.index.tolist() == expected["unit"].head(5).tolist()
    assert below["Cần thêm (hồ sơ trực tuyến)"].tolist() == [fmt.number(n) for n in expected["needed"].head(5)]
    assert below.index[0] == "Phòng Nông nghiệp và PTNT"  # 2 of 4 online: furthest below
    assert any(c.value.startswith("Và 2 đơn vị khác chưa đạt (xem trang «Xếp hạng»). Số hồ sơ trực tuyến còn thiếu để "
                                  "đạt chỉ tiêu, tính trong số hồ sơ mới tiếp nhận") for c in at.caption)
    ytd = at.table[1].value
    ytd_card = engine(demo_env, Period(2024, 6, "ytd"))
    assert ytd.index.tolist() == ytd_card.below_target("online")["unit"].head(5).tolist()
    # and what each needs from July to December at its pace so far: 69,23% (18/26) cannot reach 90%
    assert ytd.at["Phòng Nông nghiệp và PTNT", "Từ nay đến hết 12/2024"] == "Không thể đạt"
    assert "Từ nay đến hết 12/2024" not in below.columns  # a month has nothing left of it
    assert any("«Từ nay đến hết 12/2024»: số hồ sơ trực tuyến cần có trong 6 tháng còn lại" in c.value for c in at.caption)
    assert [m.value for m in at.markdown if m.value.startswith(("**Tháng 6", "**Lũy kế"))][:2] == \
        ["**Tháng 6/2024**", "**Lũy kế đến tháng 6/2024**"]
    assert len(at.get("plotly_chart")) == 1


def test_scope_year_to_date_from_the_url(demo_env):
    at = open_app(scope="ytd", period="2024-06")
    assert at.sidebar.selectbox(key="scope").value == "ytd"
    totals = engine(demo_env, Period(2024, 6, "ytd")).totals().set_index("kpi")
    metrics = {m.label: m for m in at.metric}
    assert metrics["Tỷ lệ hồ sơ trực tuyến"].value == fmt.percent(totals.at["online", "rate"])
    assert "Huyện Mỹ Tú · Lũy kế đến tháng 6/2024 · Kế hoạch 64/KH-UBND năm 2024" in [c.value for c in at.caption]
    assert at.query_params["scope"] == "ytd" and at.query_params["period"] == "2024-06"


def test_month_without_cashless_counts_shows_no_rate_and_a_year_without_plan_no_verdict(demo_env):
    at = open_app(period="2023-03")
    metrics = {m.label: m for m in at.metric}
    assert metrics["Tỷ lệ thanh toán không dùng tiền mặt"].value == "—"
    assert metrics["Tỷ lệ hồ sơ trực tuyến"].value == "44,46%"  # 766 of 1.723: 2023 has counts, but no plan
    assert metrics["Tỷ lệ hồ sơ trực tuyến"].help.startswith("766 / 1.723 hồ sơ")
    assert at.warning[1].value.startswith("**Chưa có kế hoạch năm 2023**: các tỷ lệ dưới đây không được đánh giá")
    texts = [m.value for m in at.markdown]
    assert texts.count("Chưa có kế hoạch năm 2023: không đánh giá") == 3
    assert not any("Đạt" in t for t in texts)
    assert "Huyện Mỹ Tú · Tháng 3/2023 · Chưa có kế hoạch năm 2023" in [c.value for c in at.caption]
    assert at.button(key="copy_plan_2023").label == "Chép kế hoạch năm 2024 sang năm 2023"  # the nearest year's


def test_ranking_page_matches_the_engine(demo_env):
    at = open_app(period="2024-06")
    at.switch_page("views/ranking.py").run()
    assert not at.exception and at.title[0].value == "Xếp hạng"
    ranked = engine(demo_env, Period(2024, 6)).ranking("online")
    shown = table(at, "Hạng")
    assert shown["Đơn vị"].tolist() == ranked["unit"].tolist()  # every unit has a rate in June 2024
    assert shown["Tỷ lệ"].tolist() == [fmt.percent(r) for r in ranked["rate"]]
    tu_phap = shown.set_index("Đơn vị").loc["Phòng Tư pháp"]
    assert (tu_phap["Tỷ lệ"], tu_phap["Chỉ tiêu"], tu_phap["Đánh giá"], tu_phap["Cần thêm (hồ sơ trực tuyến)"]) == \
        ("90,00%", "Trên 90", "Chưa đạt", "1")
    assert shown.set_index("Đơn vị").loc["Văn phòng đăng ký đất đai", "Chỉ tiêu"] == "Trên 80"
    assert "**14/21** đơn vị đạt chỉ tiêu; 7 đơn vị chưa đạt." in [m.value for m in at.markdown]


def test_ranking_by_group_and_kpi_with_units_listed_apart(demo_env):
    at = open_app(period="2024-06")
    at.switch_page("views/ranking.py").run()
    at.selectbox(key="kpi").set_value("cashless").run()
    at.selectbox(key="group").set_value("Một cửa cấp huyện").run()
    assert not at.exception
    ranked = engine(demo_env, Period(2024, 6)).ranking("cashless", "Một cửa cấp huyện")
    rated = ranked[ranked["rate"].notna()]
    shown = table(at, "Hạng")
    assert shown["Đơn vị"].tolist() == rated["unit"].tolist()
    assert shown["Hạng"].tolist() == [str(int(r)) for r in rated["rank"]]
    empty = ranked[ranked["status"] == scorecard.NO_DOSSIERS]["unit"].tolist()
    assert empty and f"**Không phát sinh hồ sơ** ({len(empty)} đơn vị): " + ", ".join(empty) in \
        [m.value for m in at.markdown]
    assert at.query_params["kpi"] == "cashless" and at.query_params["group"] == "Một cửa cấp huyện"
    at.selectbox(key="group").set_value("").run()
    assert len(table(at, "Hạng")) == len(engine(demo_env, Period(2024, 6)).ranking("cashless").dropna(subset=["rate"]))


def test_ranking_downloads_are_safe_against_formula_injection(tmp_path, monkeypatch, served):
    from conftest import count_rows
    from kpi import plan, setup
    path = tmp_path / "kpi.duckdb"
    store = Store(path)
    setup.initialise(store, plan.SHIPPED_PLAN)
    evil = '=HYPERLINK("http://example.com","x")'
    store.import_counts(count_rows([{"unit": evil, "year": 2024, "month": 3, "received_online": 5,
                                     "received_offline": 5}]), file_name="t3.xlsx",
                        new_units=pd.DataFrame({"unit": [evil], "group": ["Một cửa cấp xã"]}))
    monkeypatch.setenv("KPI_DB", str(path))
    at = open_app()
    at.switch_page("views/ranking.py").run()
    sheet = openpyxl.load_workbook(io.BytesIO(download(at, "Tải bảng (.xlsx)", served))).active
    cells = [c for c in sheet["B"] if c.value and "HYPERLINK" in str(c.value)]
    assert cells and all(c.data_type == "s" for c in cells)
    rate = [c for c in sheet["D"]][1:]
    assert [c.value for c in rate][0] == 50.0
    csv = download(at, "Tải bảng (.csv)", served).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv


def test_unit_page_matches_the_engine(demo_env):
    at = open_app(period="2024-06", unit="Phòng Tư pháp")
    at.switch_page("views/unit.py").run()
    assert not at.exception and at.selectbox(key="unit").value == "Phòng Tư pháp"
    metrics = {m.label: m for m in at.metric}
    assert metrics["Tỷ lệ hồ sơ trực tuyến"].value == "90,00%"
    texts = [m.value for m in at.markdown]
    assert "Chỉ tiêu: **Trên 90** — Chưa đạt, cần thêm **1** hồ sơ" in texts
    group = engine(demo_env, Period(2024, 6)).ranking("online", "Một cửa cấp huyện").set_index("unit")
    rated = int(group["rank"].notna().sum())
    assert f"Trong nhóm **Một cửa cấp huyện**: hạng **{group.at['Phòng Tư pháp', 'rank']}/{rated}** về tỷ lệ hồ " \
           f"sơ trực tuyến." in texts
    counts = table(at, "Tháng")
    assert counts.iloc[0]["Tháng"] == "6/2024" and counts.iloc[0]["Tiếp nhận trực tuyến"] == "45"
    assert len(counts) == 18  # January 2023 to June 2024
    assert len(at.get("plotly_chart")) == 2


def test_quality_flags_on_ranking_and_unit_pages(demo_env):
    at = open_app(period="2024-09")
    at.switch_page("views/ranking.py").run()
    flags = table(at, "Nội dung")
    leap = flags[flags["Đơn vị"] == "Xã Phú Mỹ"]["Nội dung"].tolist()
    assert leap == ["Tỷ lệ hồ sơ trực tuyến tháng 9/2024 tăng từ 76,74% lên 96,55% (+19,81 điểm %) so với tháng "
                    "trước: cần kiểm tra (làm thế, làm thay?)."]
    at.query_params["unit"] = "Xã Phú Mỹ"
    at.switch_page("views/unit.py").run()
    assert table(at, "Nội dung")["Nội dung"].tolist() == leap


def test_a_link_to_a_month_without_data_opens_it_and_offers_the_nearest_month(demo_env):
    at = open_app(period="2025-05")
    assert not at.exception
    assert at.sidebar.selectbox(key="period").value == (2025, 5)
    assert "Chưa có số liệu của Tháng 5/2025." in [i.value for i in at.info]
    assert at.button(key="nearest_month").label == "Xem tháng gần nhất có số liệu: tháng 12/2024"
    at.button(key="nearest_month").click().run()
    assert not at.exception and at.sidebar.selectbox(key="period").value == (2024, 12)
    assert at.query_params["period"] == "2024-12"


def test_figures_are_let_go_for_a_later_version_only():
    """A session that read the version just before a write must not take the pages' figures back to it: only a
    later stamp, or another file, renews them."""
    from kpi.service import Service

    later = Service.later
    assert later(("1795692072795980085", 7), ("1795692072795980084", 7))
    assert not later(("1795692072795980084", 7), ("1795692072795980085", 7))
    assert later(("1795692072795980084", 8), ("1795692072795980085", 7))  # another file
    assert later(("1795692072795980084", 7), (None, 7)) and not later((None, 7), ("1795692072795980084", 7))


def test_the_server_and_the_cli_hand_large_blocks_back_to_the_system(demo_db):
    """glibc's moving mmap threshold is fixed and Arrow takes the system's allocator when app.py is loaded and when
    the CLI starts (kpi.memory), each in a fresh process: on this Debian, both are set."""
    from kpi import memory

    assert memory.fix_mmap_threshold() is True
    check = "; import pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    server = ("from streamlit.testing.v1 import AppTest; AppTest.from_file('app.py', default_timeout=60).run()" + check)
    cli = f"from kpi.__main__ import main; main(['--db', {str(demo_db)!r}, 'unit', 'list'])" + check
    for code in (server, cli):
        ran = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                             env={**os.environ, "KPI_DB": str(demo_db)})
        assert ran.stdout.strip().endswith("system"), ran.stderr[-2000:]
