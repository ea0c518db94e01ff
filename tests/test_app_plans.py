"""Plans, units and the first set-up in the app, driven by AppTest on real database files."""
import json

import pytest
from streamlit.testing.v1 import AppTest

from conftest import app_test, count_rows, table
from kpi import plan, scorecard, setup
from kpi.periods import Period
from kpi.store import Store
from sheets import appendix, my_tu_sections

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def open_app(path, monkeypatch, **params) -> AppTest:
    monkeypatch.setenv("KPI_DB", str(path))
    at = app_test(**params)
    assert not at.exception, at.exception
    return at


@pytest.fixture
def demo(tmp_path) -> Store:
    store = Store(tmp_path / "kpi.duckdb")
    setup.initialise(store, sample="district")
    return store


def markdown(at) -> list[str]:
    return [m.value for m in at.markdown]


def test_a_target_edited_on_the_page_changes_the_ranking(demo, monkeypatch):
    at = open_app(demo.path, monkeypatch, period="2024-06")
    at.switch_page("views/ranking.py").run()
    assert table(at, "Hạng").set_index("Đơn vị").at["Phòng Tư pháp", "Đánh giá"] == "Chưa đạt"  # 90,00%, "Trên 90"
    # on amber, as a unit at most 5 points below, not on red: the table's own labels carry the colour
    ranked = next(d for d in at.dataframe if "Hạng" in d.value.columns)
    colours = {o["value"]: o["color"] for o in json.loads(ranked.proto.columns)["Đánh giá"]["type_config"]["options"]}
    verdict = ranked.value.set_index("Đơn vị").at["Phòng Tư pháp", "Đánh giá"][0]
    assert (verdict, colours[verdict]) == ("near", "#fff3c4") and colours["below"] == "#ffcdd2"
    at.switch_page("views/targets.py").run()
    assert not at.exception and at.title[0].value == "Chỉ tiêu và cách tính"
    editor = at.data_editor(key="targets_editor").value
    row = editor.index[editor["subject"] == "Phòng Tư pháp"][0]
    assert editor.at[row, "online"] == "Trên 90"
    at.session_state["targets_editor"] = {"edited_rows": {int(row): {"online": "Tối thiểu 90%"}}, "added_rows": [],
                                          "deleted_rows": []}
    at.run()
    at.button(key="save_targets").click().run()
    assert not at.exception
    assert at.success[0].value == "Đã lưu 28 chỉ tiêu của «Kế hoạch 64/KH-UBND năm 2024»."
    at.switch_page("views/ranking.py").run()
    ranked = table(at, "Hạng").set_index("Đơn vị")
    assert ranked.loc["Phòng Tư pháp", ["Tỷ lệ", "Chỉ tiêu", "Đánh giá"]].tolist() == ["90,00%", "Tối thiểu 90%", "Đạt"]
    assert "**15/21** đơn vị đạt chỉ tiêu; 6 đơn vị chưa đạt." in markdown(at)  # 14 before the edit


def test_an_unreadable_target_is_not_saved_and_its_cell_is_named(demo, monkeypatch):
    at = open_app(demo.path, monkeypatch, period="2024-06")
    at.switch_page("views/targets.py").run()
    before = demo.targets(1)
    at.session_state["targets_editor"] = {"edited_rows": {0: {"online": "khá"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="save_targets").click().run()
    assert at.error[0].value.startswith("Chưa lưu: 1 ô không đọc được.")
    assert "«Huyện Mỹ Tú», cột «Tỷ lệ hồ sơ trực tuyến»: không hiểu mức chỉ tiêu «khá»" in at.error[0].value
    assert demo.targets(1).equals(before)


def test_a_definition_change_says_what_it_does_before_it_is_saved(demo, monkeypatch):
    at = open_app(demo.path, monkeypatch, period="2024-06")
    at.switch_page("views/targets.py").run()
    at.radio(key="variant_cashless_2024").set_value("fee_all").run()
    before = scorecard.build(demo, Period(2024, 12, "ytd"))
    after = scorecard.build(demo, Period(2024, 12, "ytd"), definitions={"cashless": "fee_all"})
    expected = "Nếu đổi «Không dùng tiền mặt»: " + scorecard.definition_change(before, after, "cashless")
    assert expected.startswith("Nếu đổi «Không dùng tiền mặt»: Lũy kế đến tháng 12/2024: toàn địa bàn ")
    assert expected in [i.value for i in at.info]
    assert demo.definitions(1) == {}  # not yet
    at.button(key="save_definitions").click().run()
    assert demo.definitions(1) == {"cashless": "fee_all"}
    at.switch_page("views/overview.py").run()
    metrics = {m.label: m for m in at.metric}
    june = scorecard.build(demo, Period(2024, 6)).totals().set_index("kpi").at["cashless", "rate"]
    assert metrics["Tỷ lệ thanh toán không dùng tiền mặt"].value != "62,01%"
    assert metrics["Tỷ lệ thanh toán không dùng tiền mặt"].value == f"{june:.2f}%".replace(".", ",")
    assert "mọi hồ sơ có nghĩa vụ tài chính (Chỉ số 766)" in metrics["Tỷ lệ thanh toán không dùng tiền mặt"].help


def test_a_year_without_plan_is_copied_from_the_year_before_in_one_click(tmp_path, monkeypatch):
    store = Store(tmp_path / "kpi.duckdb")
    setup.initialise(store, plan.SHIPPED_PLAN)
    store.import_counts(count_rows([{"unit": "Phòng Tư pháp", "year": y, "month": 6, "received_online": 45,
                                     "received_offline": 5} for y in (2024, 2025)]), file_name="t6.xlsx")
    at = open_app(store.path, monkeypatch, period="2025-06")
    assert "Huyện Mỹ Tú · Tháng 6/2025 · Chưa có kế hoạch năm 2025" in [c.value for c in at.caption]
    assert any(w.value.startswith("**Chưa có kế hoạch năm 2025**") for w in at.warning)
    copy = at.button(key="copy_plan_2025")
    assert copy.label == "Chép kế hoạch năm 2024 sang năm 2025"
    copy.click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Đã chép kế hoạch năm 2024 sang năm 2025: «Kế hoạch năm 2025».")
    assert "Huyện Mỹ Tú · Tháng 6/2025 · Kế hoạch năm 2025" in [c.value for c in at.caption]
    assert any(m.startswith("Chỉ tiêu: **Trên 80%** — :green[**Đạt**]") for m in markdown(at))  # 45 of 50 is 90%: judged now
    assert len(store.plans()) == 2 and len(store.targets(store.plan_of_year(2025)["plan_id"])) == 28


def test_a_plan_copied_to_the_next_year_on_the_targets_page(demo, monkeypatch):
    at = open_app(demo.path, monkeypatch, period="2024-06")
    at.switch_page("views/targets.py").run()
    assert at.selectbox(key="copy_to").value == 2025
    at.button(key="copy_plan").click().run()
    assert not at.exception
    assert table(at, "Năm")["Năm"].tolist() == ["2025", "2024"]
    assert at.selectbox(key="plan_year").value == 2025  # the copy is the plan shown, to be edited
    copied = plan.of_year(demo, 2025)
    original = plan.of_year(demo, 2024)
    assert copied.units.equals(original.units) and len(copied.targets) == len(original.targets) == 28


def test_an_appendix_uploaded_on_the_page_becomes_the_plan_of_its_year(tmp_path, monkeypatch):
    store = Store(tmp_path / "kpi.duckdb")
    setup.initialise(store, plan.SHIPPED_PLAN)
    at = open_app(store.path, monkeypatch)
    at.switch_page("views/targets.py").run()
    rows = my_tu_sections()
    rows[0] = ("", "Toàn huyện", "Trên 85%", "Tối thiểu 50%")
    title = ["Phụ lục I", "CHỈ TIÊU năm 2025",
             "(Kèm theo Kế hoạch số 12/KH-UBND ngày 10/01/2025 của UBND huyện Mỹ Tú về thực hiện Dịch vụ công "
             "trực tuyến năm 2025)"]
    at.file_uploader(key="plan_upload_0").set_value(("PL1-2025.xlsx", appendix(rows, title=title), XLSX)).run()
    assert not at.exception, at.exception
    assert ("**Kế hoạch 12/KH-UBND năm 2025** · Huyện Mỹ Tú · năm **2025** · 21 đơn vị trong 3 nhóm · 28 chỉ tiêu"
            in markdown(at))
    preview = table(at, "Áp dụng cho")
    assert preview.iloc[0].tolist()[:4] == ["Toàn địa bàn", "Huyện Mỹ Tú", "Trên 85%", "Tối thiểu 50%"]
    at.button(key="save_plan").click().run()
    assert not at.exception
    assert at.success[0].value == "Đã lưu «Kế hoạch 12/KH-UBND năm 2025»: đánh giá các kỳ của năm 2025."
    assert store.plans()["year"].tolist() == [2025, 2024] and len(store.units()) == 21
    area = store.targets(store.plan_of_year(2025)["plan_id"]).query("level == 'area'").set_index("kpi")
    assert area.at["online", "wording"] == "Trên 85%" and area.at["cashless", "wording"] == "Tối thiểu 50%"


def test_an_appendix_of_another_area_is_refused_on_the_page(tmp_path, monkeypatch):
    store = Store(tmp_path / "kpi.duckdb")
    setup.initialise(store, plan.SHIPPED_PLAN)
    at = open_app(store.path, monkeypatch)
    at.switch_page("views/targets.py").run()
    other = appendix([("I", "Sở, ban, ngành", "Trên 90", None), ("1", "Sở Y tế", None, None)],
                     title=["CHỈ TIÊU NĂM 2026", "(Kèm theo Kế hoạch số 3/KH-UBND ngày 02/01/2026 của UBND tỉnh Gia Lai)"])
    at.file_uploader(key="plan_upload_0").set_value(("gia-lai.xlsx", other, XLSX)).run()
    assert not at.exception
    assert at.error[0].value == ("Kế hoạch «Kế hoạch 3/KH-UBND năm 2026» là của «Tỉnh Gia Lai», cơ sở dữ liệu này là "
                                 "của «Huyện Mỹ Tú». Mỗi cơ sở dữ liệu giữ một địa bàn: hãy tạo cơ sở dữ liệu khác "
                                 "cho «Tỉnh Gia Lai».")
    assert len(store.plans()) == 1


def test_the_set_up_of_an_empty_database(tmp_path, monkeypatch):
    store = Store(tmp_path / "kpi.duckdb")
    setup.initialise(store)  # the schema, nothing else
    at = open_app(store.path, monkeypatch)
    assert at.title[0].value == "Thiết lập địa bàn"
    assert [p for p in at.sidebar.get("selectbox")] == []  # no period picker before there is an area
    at.text_input(key="setup_area").input("Tỉnh Hòa Lâm").run()
    at.radio(key="setup_level").set_value("province").run()
    at.radio(key="setup_start").set_value("upload").run()
    rows = [("", "Toàn tỉnh", "Trên 80%", "Tối thiểu 60%"),
            ("I", "Sở, ban, ngành", "Tối thiểu 85%", "Tối thiểu 60%"),
            ("1", "Sở Tư pháp", ">= 95", None), ("2", "Sở Y tế", None, None),
            ("II", "Xã, phường, đặc khu", "Tối thiểu 75%", "Ít nhất 50%"),
            ("1", "Phường Bình Minh", None, None), ("2", "Xã Tân Hòa", None, None), ("3", "Đặc khu Hải Sơn", None, None)]
    title = ["PHỤ LỤC 1", "CHỈ TIÊU DỊCH VỤ CÔNG TRỰC TUYẾN NĂM 2026",
             "(Kèm theo Kế hoạch số 15/KH-UBND ngày 20/01/2026 của UBND tỉnh Hòa Lâm)"]
    at.file_uploader(key="setup_plan").set_value(("pl1-2026.xlsx", appendix(rows, title=title), XLSX)).run()
    at.button(key="setup_go").click().run()
    assert not at.exception, at.exception
    assert store.area() == {"name": "Tỉnh Hòa Lâm", "level": "province"}
    assert store.units()["unit"].tolist() == ["Sở Tư pháp", "Sở Y tế", "Phường Bình Minh", "Xã Tân Hòa",
                                              "Đặc khu Hải Sơn"]
    assert at.success[0].value.startswith("Đã thiết lập Tỉnh Hòa Lâm. Kế hoạch «Kế hoạch 15/KH-UBND năm 2026»: 5 đơn vị")
    assert at.title[0].value == "Nhập dữ liệu"  # the whole app now, on its next step: the first report
    assert [u.proto.label for u in at.get("file_uploader")] == ["Báo cáo tháng"]


def test_setting_up_ones_own_area_in_place_of_the_sample(demo, monkeypatch):
    at = open_app(demo.path, monkeypatch)
    at.switch_page("views/setup.py").run()
    at.text_input(key="setup_area").input("Xã Phù Mỹ").run()
    at.radio(key="setup_level").set_value("commune").run()
    at.radio(key="setup_start").set_value("later").run()
    assert at.button(key="setup_go").disabled  # the sample is only removed when asked
    at.checkbox(key="setup_sure").check().run()
    at.button(key="setup_go").click().run()
    assert not at.exception
    assert demo.area() == {"name": "Xã Phù Mỹ", "level": "commune"}
    assert demo.units().empty and demo.plans().empty and not demo.has_demo_data()


def test_units_page_renames_and_merges(demo, monkeypatch):
    at = open_app(demo.path, monkeypatch, period="2024-06")
    at.switch_page("views/units.py").run()
    assert not at.exception and at.title[0].value == "Danh sách đơn vị"
    at.selectbox(key="rename_unit").set_value("Phòng Tư pháp").run()
    at.text_input(key="rename_new").input("Phòng Tư pháp và Hộ tịch").run()
    at.button(key="rename").click().run()
    assert at.success[0].value == "Đã đổi tên «Phòng Tư pháp» thành «Phòng Tư pháp và Hộ tịch»."
    at.multiselect(key="merge_parts").set_value(["Xã Mỹ Tú", "Xã Phú Mỹ"]).run()
    at.text_input(key="merge_new").input("Xã Mỹ Phú").run()
    at.selectbox(key="merge_group").set_value("Một cửa cấp xã").run()
    at.selectbox(key="merge_since_month").set_value(7).run()
    at.number_input(key="merge_since_year").set_value(2025).run()
    at.button(key="merge").click().run()
    assert not at.exception
    units = demo.units().set_index("unit")
    assert units.at["Xã Mỹ Tú", "until"] == 202507 and units.at["Xã Mỹ Phú", "since"] == 202507
    listed = table(at, "Đơn vị")
    assert "Xã Mỹ Tú" not in listed["Đơn vị"].tolist() and "Xã Mỹ Phú" in listed["Đơn vị"].tolist()
    at.switch_page("views/ranking.py").run()
    ranked = table(at, "Hạng").set_index("Đơn vị")  # the history stays with the renamed unit
    assert ranked.loc["Phòng Tư pháp và Hộ tịch", ["Tỷ lệ", "Chỉ tiêu", "Cần thêm (hồ sơ trực tuyến)"]].tolist() == [
        "90,00%", "Trên 90", "1"]


def test_a_merged_units_page_compares_it_with_its_parts_a_year_before(tmp_path, monkeypatch):
    store = Store(tmp_path / "kpi.duckdb")
    setup.initialise(store, plan.SHIPPED_PLAN)
    rows = [("Xã Mỹ Tú", 2024, 40, 10), ("Xã Phú Mỹ", 2024, 30, 20)]
    store.import_counts(count_rows([{"unit": u, "year": y, "month": 12, "received_online": on, "received_offline": off}
                                    for u, y, on, off in rows]), file_name="t12-2024.xlsx")
    store.merge_units(["Xã Mỹ Tú", "Xã Phú Mỹ"], "Xã Mỹ Phú", 202507, group="Một cửa cấp xã")
    store.import_counts(count_rows([{"unit": "Xã Mỹ Phú", "year": 2025, "month": 12, "received_online": 90,
                                     "received_offline": 10}]), file_name="t12-2025.xlsx")
    at = open_app(store.path, monkeypatch, period="2025-12", unit="Xã Mỹ Phú")
    at.switch_page("views/unit.py").run()
    assert not at.exception and at.selectbox(key="unit").value == "Xã Mỹ Phú"
    online = {m.label: m for m in at.metric}["Tỷ lệ hồ sơ trực tuyến"]
    assert (online.value, online.delta) == ("90,00%", "+20,00 điểm %")  # 90/100 against 70/100, its parts' counts
    assert any(c.value.startswith("Đơn vị được gộp từ Xã Mỹ Tú, Xã Phú Mỹ") for c in at.caption)
    counts = table(at, "Tháng")
    assert counts["Tháng"].tolist() == ["12/2025", "12/2024"]
    assert counts["Tiếp nhận trực tuyến"].tolist() == ["90", "70"]  # the parts' counts summed
