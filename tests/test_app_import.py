"""The "Nhập dữ liệu" page driven by AppTest on a real database file."""
import pytest

from conftest import app_test
from kpi import plan, setup
from kpi.periods import Period
from kpi import scorecard
from kpi.store import Store
from sheets import bieu06, counts

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def page(tmp_path, monkeypatch):
    path = tmp_path / "kpi.duckdb"
    setup.initialise(Store(path), plan.SHIPPED_PLAN)  # the plan, no data yet
    monkeypatch.setenv("KPI_DB", str(path))
    at = app_test(role="uploader")
    at.switch_page("views/imports.py").run()
    assert not at.exception and at.title[0].value == "Nhập dữ liệu"
    return at, Store(path)


def upload(at, name, data):
    at.file_uploader[0].set_value((name, data, XLSX)).run()
    assert not at.exception, at.exception


def test_upload_map_unknown_unit_confirm_and_see_the_stored_figures(page):
    at, store = page
    data = bieu06([("II", "UBND các xã, thị trấn", [("UBND xã Mỹ Hương", counts(95, 5)),
                                                     ("UBND xã Tân Lập", counts(8, 2))])],
                  title_period="Tháng 1 năm 2025")
    upload(at, "t1-2025.xlsx", data)
    assert at.selectbox(key="import_month").value == 1 and at.number_input(key="import_year").value == 2025
    assert at.selectbox(key="map_0").label == "«UBND xã Tân Lập»"
    assert at.selectbox(key="map_0").value is None and at.button(key="confirm").disabled  # never added by default
    assert "Còn 1 tên chưa chọn đơn vị; chọn xong mới nhập được." in [i.value for i in at.info]
    at.selectbox(key="map_0").set_value("Xã Mỹ Phước").run()
    preview = at.dataframe[0].value
    assert preview["Đơn vị"].tolist() == ["Xã Mỹ Hương", "Xã Mỹ Phước"]
    assert preview["Tỷ lệ trực tuyến"].tolist() == ["95,00%", "80,00%"]
    at.run()
    at.button(key="confirm").click().run()
    assert not at.exception
    assert at.success[0].value == "Đã nhập t1-2025.xlsx: tháng 1/2025, 2 đơn vị (lần nhập số 1)."
    card = scorecard.build(store, Period(2025, 1)).ranking("online").set_index("unit")
    assert (card.loc["Xã Mỹ Phước", "numerator"], card.loc["Xã Mỹ Phước", "denominator"]) == (8, 10)
    assert card.loc["Xã Mỹ Hương", "rate"] == 95.0
    history = at.dataframe[0].value
    assert history.iloc[0]["Tệp"] == "t1-2025.xlsx" and history.iloc[0]["Người nhập"] == "nhaplieu"  # the user logged in
    assert store.aliases()["unit"].tolist() == ["Xã Mỹ Phước"]  # remembered for next month


def test_a_file_with_too_many_unknown_names_for_one_choice_each_adds_them_all(page):
    """A wrong file (a list of dossiers, say) must not turn into thousands of widgets."""
    at, store = page
    names = [f"Tổ dân phố số {i}" for i in range(1, 302)]
    rows = [("UBND xã Mỹ Hương", counts(9, 1)), *((n, counts(4, 1)) for n in names)]
    upload(at, "nhieu.xlsx", bieu06([("II", "UBND các xã, thị trấn", rows)]))
    communes = store.units().set_index("unit").loc["Xã Mỹ Hương", "group"]  # the group of the section's known unit
    assert at.warning[0].value.startswith("Tệp có 301 tên đơn vị chưa có trong danh sách, quá nhiều để ghép từng "
                                          "tên (tối đa 300).")
    assert not [s for s in at.selectbox if (s.key or "").startswith("map_")]
    added = at.dataframe[0].value
    assert added["Tên trong tệp"].tolist() == names and set(added["Nhóm"]) == {communes}
    at.button(key="confirm").click().run()
    assert at.success[0].value == "Đã nhập nhieu.xlsx: tháng 3/2024, 302 đơn vị (lần nhập số 1)."
    assert len(store.monthly_counts([(2024, 3)])) == 302 and "Tổ dân phố số 301" in store.units()["unit"].tolist()


def test_errors_block_and_warnings_need_consent(page):
    at, store = page
    bad = bieu06([("I", "x", [("Xã Mỹ Tú", {**counts(45, 5), "received_online": -1})])], total=False)
    upload(at, "bad.xlsx", bad)
    assert at.error[0].value == "Không nhập được: 1 lỗi. Hãy sửa tệp rồi tải lên lại."
    assert "số âm (-1)" in at.dataframe[0].value["Lỗi"][0]
    assert not [b for b in at.button if b.key == "confirm"]
    odd = bieu06([("I", "x", [("Xã Mỹ Tú", {**counts(45, 5), "received": 52})])], total=False)
    upload(at, "odd.xlsx", odd)
    assert at.button(key="confirm").disabled
    at.checkbox(key="accept_warnings").check().run()
    at.button(key="confirm").click().run()
    assert at.success[0].value.startswith("Đã nhập odd.xlsx: tháng 3/2024")
    assert store.monthly_counts([(2024, 3)])["received"].tolist() == [52]


def test_undo_an_import_from_the_page(page):
    at, store = page
    upload(at, "t3.xlsx", bieu06([("I", "x", [("Phòng Tư pháp", counts(45, 5))])]))
    at.button(key="confirm").click().run()
    assert store.months() == [(2024, 3)]
    assert at.selectbox(key="undo_id").value == 1
    at.button(key="undo").click().run()
    assert at.warning[0].value == ("Hoàn tác lần nhập số 1: tệp **t3.xlsx**, tháng 2024-03, 1 đơn vị, 1 dòng. Các số "
                                   "liệu lần nhập này đã thay thế được khôi phục.")
    assert store.months() == [(2024, 3)]  # not before it is confirmed
    at.button(key="undo_confirm").click().run()
    assert not at.exception
    assert at.success[0].value == "Đã hoàn tác lần nhập số 1 (t3.xlsx): bỏ 1 dòng, khôi phục 0 dòng đã bị thay thế."
    assert store.months() == []
    assert at.dataframe[0].value.iloc[0]["Trạng thái"].startswith("đã hoàn tác")


def test_the_undo_choice_follows_the_latest_import(page):
    at, store = page
    upload(at, "t3.xlsx", bieu06([("I", "x", [("Phòng Tư pháp", counts(45, 5))])]))
    at.button(key="confirm").click().run()
    assert at.selectbox(key="undo_id").value == 1
    upload(at, "t4.xlsx", bieu06([("I", "x", [("Phòng Tư pháp", counts(40, 5))])], title_period="Tháng 4 năm 2024"))
    at.button(key="confirm").click().run()
    assert at.selectbox(key="undo_id").value == 2  # the import just made, not the one chosen before


def test_template_downloads(page):
    at, _ = page
    assert at.get("download_button")[0].proto.label == "Tải mẫu nhập liệu (.xlsx)"


def test_a_file_with_all_fee_counts_offers_the_definition_it_allows(tmp_path, monkeypatch):
    path = tmp_path / "kpi.duckdb"
    setup.initialise(Store(path), plan.SHIPPED_PLAN)
    monkeypatch.setenv("KPI_DB", str(path))
    data = bieu06([("I", "x", [("Phòng Tư pháp", counts(45, 5, fee_dossiers=20, paid_online=9))])],
                  extras=("fee_dossiers", "paid_online"))
    uploader = app_test(role="uploader")
    uploader.switch_page("views/imports.py").run()
    upload(uploader, "t3.xlsx", data)
    said = [i.value for i in uploader.info]
    assert any(s.startswith("«Tỷ lệ thanh toán không dùng tiền mặt» theo định nghĩa của kế hoạch") for s in said)
    assert "Quản trị viên có thể đổi cách tính ở trang «Chỉ tiêu»." in [c.value for c in uploader.caption]
    uploader.button(key="confirm").click().run()
    admin = app_test()
    admin.switch_page("views/overview.py").run()
    assert not admin.exception
    assert any("số liệu có đủ để tính theo định nghĩa" in i.value for i in admin.info)
    admin.button(key="instead_cashless_0").click().run()
    assert not admin.exception
    store = Store(path)
    assert store.definitions(int(store.plan_of_year(2024)["plan_id"]))["cashless"] == "fee_all"
    assert not any("số liệu có đủ để tính theo định nghĩa" in i.value for i in admin.info)
    rate = scorecard.build(store, Period(2024, 3)).ranking("cashless").set_index("unit").loc["Phòng Tư pháp", "rate"]
    assert rate == 45.0


def test_a_report_by_field_on_the_page_then_its_fields_on_the_unit_page(page):
    from test_ingest import by_field_report
    from conftest import table
    at, store = page
    upload(at, "linh-vuc.xlsx", by_field_report(None))
    assert at.subheader[0].value == "Báo cáo theo lĩnh vực"
    assert at.selectbox(key="field_unit").value is None and at.button(key="confirm").disabled
    assert "Hãy chọn đơn vị của báo cáo." in [i.value for i in at.info]
    at.selectbox(key="field_unit").set_value("Phòng Tài nguyên và Môi trường").run()
    preview = table(at, "Tỷ lệ đúng hạn")
    assert preview["Tên trong tệp"].tolist() == ["Đất đai", "Lĩnh vực Môi trường"]
    assert preview["Tỷ lệ đúng hạn"].tolist() == ["90,91%", "100,00%"]
    at.button(key="confirm").click().run()
    assert not at.exception and "lần nhập số 1" in at.success[0].value
    viewer = app_test(role="viewer", period="2024-03", unit="Phòng Tài nguyên và Môi trường")
    viewer.switch_page("views/unit.py").run()
    assert not viewer.exception
    fields = table(viewer, "Lĩnh vực")
    assert fields.to_dict("records") == [
        {"Lĩnh vực": "Đất đai", "Tiếp nhận": "120", "Trực tuyến": "100/120", "Tỷ lệ trực tuyến": "83,33%",
         "Đúng hạn": "100/110", "Tỷ lệ đúng hạn": "90,91%"},
        {"Lĩnh vực": "Lĩnh vực Môi trường", "Tiếp nhận": "10", "Trực tuyến": "5/10", "Tỷ lệ trực tuyến": "50,00%",
         "Đúng hạn": "10/10", "Tỷ lệ đúng hạn": "100,00%"}]


def test_the_first_real_import_says_the_sample_goes_and_does_not_come_back(demo_db, tmp_path, monkeypatch):
    import shutil
    path = tmp_path / "kpi.duckdb"
    shutil.copy(demo_db, path)
    monkeypatch.setenv("KPI_DB", str(path))
    at = app_test(role="uploader")
    at.switch_page("views/imports.py").run()
    upload(at, "t1-2025.xlsx", bieu06([("I", "x", [("Phòng Tư pháp", counts(45, 5))])], title_period="Tháng 1 năm 2025"))
    said = [w.value for w in at.warning]
    assert any(w.startswith("Đây là lần nhập số liệu thật đầu tiên: khi xác nhận, toàn bộ **dữ liệu mẫu** sẽ bị xoá. "
                            "Hoàn tác lần nhập này không đưa dữ liệu mẫu trở lại") for w in said)
    at.button(key="confirm").click().run()
    assert "đã xoá dữ liệu mẫu" in at.success[0].value and not Store(path).has_demo_data()
