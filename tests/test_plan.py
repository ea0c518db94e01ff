"""Plans by year, read from TOML or from the Appendix 1 typed in Excel, on a real DuckDB file: each
year judged by its own plan, bad plans refused with the file, row and column, nothing stored."""
import io

import openpyxl
import pandas as pd
import pytest

from conftest import count_rows
from kpi import appendix, plan, scorecard, setup
from kpi.periods import Period
from kpi.plan import PlanError
from kpi.service import Service
from kpi.store import MIGRATIONS, SCHEMA_VERSION, Store, StoreError
from sheets import appendix as typed, my_tu_sections

KEYS = ["level", "subject", "kpi"]


def same_plan(a: plan.Plan, b: plan.Plan) -> None:
    for name in ("year", "name", "area", "document", "source", "groups", "definitions"):
        assert getattr(a, name) == getattr(b, name), name
    assert a.units.reset_index(drop=True).equals(b.units.reset_index(drop=True))
    assert a.targets.sort_values(KEYS).reset_index(drop=True).astype({"threshold": float}).equals(
        b.targets.sort_values(KEYS).reset_index(drop=True).astype({"threshold": float}))


def snapshot(store: Store) -> tuple:
    """Everything a plan import could change."""
    with store.reading():
        return (store.plans().to_dict("list"), store.units().to_dict("list"), store.aliases().to_dict("list"),
                store.area(), [store.targets(p).to_dict("list") for p in store.plans()["plan_id"]])


def test_shipped_toml_and_the_appendix_typed_in_excel_are_the_same_plan(tmp_path):
    toml = plan.load()
    assert len(toml.units) == 21 and len(toml.targets) == 2 + 11 * 2 + 2 * 2
    same_plan(toml, plan.read("PL1-MyTu.xlsx", typed(my_tu_sections())))
    # the same Appendix with a merged "Chỉ tiêu" heading over its KPI columns, and percentages typed as numbers
    same_plan(toml, plan.read("PL1.xlsx", typed(my_tu_sections(), merged_header="Chỉ tiêu năm 2024")))
    # stored, both give the same roster and targets
    stored = []
    for name, data in (("toml", None), ("xlsx", typed(my_tu_sections()))):
        store = Store(tmp_path / f"{name}.duckdb")
        setup.initialise(store, plan.SHIPPED_PLAN if data is None else _write(tmp_path / "pl1.xlsx", data))
        stored.append(plan.of_year(store, 2024))
    same_plan(*stored)
    assert stored[0].units["group"].value_counts().to_dict() == {"Một cửa cấp huyện": 11, "Một cửa cấp xã": 9,
                                                                "Công an huyện": 1}


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_export_then_import_gives_the_same_plan(store):
    store.set_definition(store.plan_of_year(2024)["plan_id"], "cashless", "fee_all")
    stored = plan.of_year(store, 2024)
    data = appendix.write(stored)
    again = plan.read("phu-luc-1-2024.xlsx", data)
    same_plan(stored, again)
    assert again.definitions == {"cashless": "fee_all"}
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Phụ lục 1"]
    header = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "STT")
    assert header[2:] == ("Tỷ lệ hồ sơ TTHC (mức 3, mức 4) có phát sinh được thực hiện trực tuyến (%)",
                          "Tỷ lệ hồ sơ trực tuyến có phát sinh nghĩa vụ tài chính được thực hiện thu bằng hình "
                          "thức không dùng tiền mặt (%)")
    rows = {r[1]: r for r in sheet.iter_rows(values_only=True) if r[1]}
    assert rows["Toàn huyện"][2:] == ("Trên 80%", "Trên 40%")
    assert rows["Một cửa cấp xã"][:4] == ("II", "Một cửa cấp xã", "Trên 90", "Tối thiểu 40%")
    assert rows["Xã Mỹ Hương"][2:] == (None, None)  # the group's apply


def test_percentages_typed_as_numbers_and_phrasings_of_other_plans():
    rows = [("", "Toàn tỉnh", "Trên 80%", "100%"),
            ("I", "Sở, ban, ngành", "Đạt tối thiểu 90%", "Phấn đấu 100%"),
            ("1", "Sở Tư pháp", ">= 98", None),
            ("2", "Sở Y tế", None, "Đảm bảo 100%"),
            ("II", "Xã, phường", "Ít nhất 75%", "50%"),
            ("1", "Phường Bình Minh", "Không thấp hơn 95%", "≥ 60")]
    title = ["PHỤ LỤC 1", "CHỈ TIÊU NĂM 2026",
             "(Kèm theo Kế hoạch số 15/KH-UBND ngày 20/01/2026 của UBND tỉnh Hòa Lâm)"]
    read = plan.read("pl.xlsx", typed(rows, title=title, percent_cells=True))
    assert (read.year, read.area, read.document, read.name) == (2026, "Tỉnh Hòa Lâm", "15/KH-UBND",
                                                                "Kế hoạch 15/KH-UBND năm 2026")
    got = read.targets.set_index(["subject", "kpi"])
    assert got.loc[("Tỉnh Hòa Lâm", "cashless"), ["wording", "comparator", "threshold"]].tolist() == ["100%", "ge", 100]
    assert got.loc[("Xã, phường", "cashless"), "wording"] == "50%"  # typed as 0.5, shown as 50%
    assert got.loc[("Sở, ban, ngành", "online"), ["comparator", "threshold"]].tolist() == ["ge", 90]
    assert got.loc[("Sở Tư pháp", "online"), ["comparator", "threshold"]].tolist() == ["ge", 98]
    assert got.loc[("Phường Bình Minh", "cashless"), ["comparator", "threshold"]].tolist() == ["ge", 60]
    assert read.units["group"].tolist() == ["Sở, ban, ngành", "Sở, ban, ngành", "Xã, phường"]


@pytest.mark.parametrize("change, message", [
    (lambda rows: rows.__setitem__(3, ("2.", "Phòng Tài nguyên và Môi trường", "Trên 90", "Khá tốt")),
     "Tệp pl1.xlsx, trang «PL1», dòng 11, cột D («Tỷ lệ thanh toán không dùng tiền mặt»): không hiểu mức chỉ tiêu "
     "«Khá tốt»"),
    (lambda rows: rows.__setitem__(2, ("1.", "Phòng Tài chính – Kế hoạch", "Trên 120%", "Tối thiểu 40%")),
     "dòng 10, cột C («Tỷ lệ hồ sơ trực tuyến»): mức chỉ tiêu «Trên 120%» nằm ngoài khoảng 0–100%"),
    (lambda rows: rows.insert(5, ("3.", "Phòng Tài chính - Kế hoạch", None, None)),
     "«Phòng Tài chính – Kế hoạch» và «Phòng Tài chính - Kế hoạch» là cùng một đơn vị «Phòng Tài chính – Kế hoạch» "
     "(đơn vị được liệt kê hai lần)"),
    (lambda rows: rows.insert(3, (None, None, "Trên 90", None)),
     "dòng 11: có chỉ tiêu nhưng không có tên đơn vị hay nhóm"),
])
def test_a_bad_appendix_names_its_cell_and_nothing_is_stored(store, change, message):
    rows = my_tu_sections()
    change(rows)
    before = snapshot(store)
    with pytest.raises(PlanError) as refused:
        plan.save(store, plan.read("pl1.xlsx", typed(rows)))
    assert message in str(refused.value)
    assert snapshot(store) == before


def test_an_unknown_kpi_column_is_named():
    data = typed(my_tu_sections(), headings=["Tỷ lệ hồ sơ TTHC (mức 3, mức 4) có phát sinh được thực hiện trực "
                                             "tuyến (%)", "Tỷ lệ hài lòng của người dân (%)"])
    with pytest.raises(PlanError, match=r"Tệp pl1.xlsx, trang «PL1», dòng 7, cột D \(«Tỷ lệ hài lòng của người dân "
                                        r"\(%\)»\): không nhận ra chỉ tiêu của cột này"):
        plan.read("pl1.xlsx", data)


@pytest.mark.parametrize("toml, message", [
    ('year = 2025\narea = "Huyện Mỹ Tú"\n[area_targets]\nonline = "Trên 80%"\n',
     "Tệp k.toml: không có nhóm đơn vị nào"),
    ('year = 2025\narea = "Huyện Mỹ Tú"\n[[groups]]\nname = "A"\nunits = ["Xã Mỹ Tú", "xã mỹ  tú"]\n',
     "Tệp k.toml: đơn vị được liệt kê hai lần"),
    ('year = 2025\narea = "Huyện Mỹ Tú"\n[[groups]]\nname = "A"\nunits = ["Xã Mỹ Tú"]\ntargets = {hai_long = "Trên 90"}\n',
     "Tệp k.toml, nhóm «A», chỉ tiêu «hai_long»: không có chỉ tiêu «hai_long»"),
    ('area = "Huyện Mỹ Tú"\n[[groups]]\nname = "A"\nunits = ["Xã Mỹ Tú"]\n', "thiếu năm của kế hoạch"),
    ('year = 2025\narea = "Huyện Mỹ Tú"\n[[groups]]\nname = "A"\nunits = [\n', "Tệp k.toml: tệp kế hoạch .toml viết sai"),
    ('year = 2025\narea = "Huyện Mỹ Tú"\nname "A"\n', r"Tệp k.toml: tệp kế hoạch .toml viết sai \(lỗi ở dòng 3, cột 6\)"),
    ('year = "hai nghìn"\narea = "Huyện Mỹ Tú"\n', "năm «hai nghìn» phải là một số"),
    ('year = 2025\narea = "Huyện Mỹ Tú"\n[definitions]\ncashless = "moi"\n[[groups]]\nname = "A"\nunits = ["X"]\n',
     "cách tính «cashless = moi» không có; chọn một trong: fee_online, fee_all"),
    ('year = 2025\narea = "Huyện Mỹ Tú"\n[definitions]\nonline = ["a"]\n[[groups]]\nname = "A"\nunits = ["X"]\n',
     "«definitions» phải là bảng"),
    ('year = 2025\narea = "Huyện Mỹ Tú"\n[[groups]]\nname = "A"\nunits = [["X"]]\n', "tên đơn vị phải là chữ"),
    ('year = 2025\narea = "Huyện Mỹ Tú"\ndocument = 64\n[[groups]]\nname = "A"\nunits = ["X"]\n',
     "«document» phải là chữ"),
])
def test_a_bad_toml_plan_is_refused_in_vietnamese(toml, message):
    with pytest.raises(PlanError, match=message):
        plan.read("k.toml", toml.encode())


def test_a_text_file_named_xlsx_is_said_to_be_no_plan():
    with pytest.raises(PlanError, match=r"^Tệp notes.xlsx: không phải bảng tính Excel \(.xlsx\) hay tệp kế hoạch .toml"):
        plan.read("notes.xlsx", "Ghi chú họp giao ban\nKhông phải kế hoạch".encode())


def test_a_plan_of_another_area_is_refused(store):
    rows = [("I", "Sở, ban, ngành", "Trên 90", None), ("1", "Sở Tư pháp", None, None)]
    other = plan.read("gia-lai.xlsx", typed(rows, title=["CHỈ TIÊU NĂM 2026", "(Kèm theo Kế hoạch số 3/KH-UBND "
                                                          "ngày 02/01/2026 của UBND tỉnh Gia Lai)"]))
    before = snapshot(store)
    with pytest.raises(PlanError, match="là của «Tỉnh Gia Lai», cơ sở dữ liệu này là của «Huyện Mỹ Tú»"):
        plan.save(store, other)
    assert snapshot(store) == before


def _online(unit, year, month, on, off):
    return {"unit": unit, "year": year, "month": month, "received_online": on, "received_offline": off}


def _row(card, unit, kpi="online"):
    return card.units[(card.units["unit"] == unit) & (card.units["kpi"] == kpi)].iloc[0]


def test_each_year_is_judged_by_its_own_plan_and_a_year_without_one_is_not_judged(store):
    store.import_counts(count_rows([_online("Phòng Tư pháp", y, 6, 45, 5) for y in (2024, 2025, 2026)]),
                        file_name="t6.xlsx")
    next_year = plan.copied(plan.of_year(store, 2024), 2025, store.units())
    targets = next_year.targets
    targets.loc[(targets["subject"] == "Phòng Tư pháp") & (targets["kpi"] == "online"),
                ["comparator", "threshold", "wording"]] = ["ge", 90.0, "Tối thiểu 90%"]
    plan.save(store, next_year)

    old, new, none = (scorecard.build(store, Period(y, 6)) for y in (2024, 2025, 2026))
    assert (old.plan["name"], new.plan["name"], none.plan) == ("Kế hoạch 64/KH-UBND năm 2024", "Kế hoạch năm 2025", None)
    assert _row(old, "Phòng Tư pháp")[["rate", "target", "status"]].tolist() == [90.0, "Trên 90", scorecard.NOT_MET]
    assert _row(new, "Phòng Tư pháp")[["rate", "target", "status"]].tolist() == [90.0, "Tối thiểu 90%",
                                                                               scorecard.MET]
    judged = _row(none, "Phòng Tư pháp")
    assert judged["rate"] == 90.0 and pd.isna(judged["target"]) and pd.isna(judged["met"])
    assert judged["status"] == scorecard.NO_TARGET and none.plan_name == "Chưa có kế hoạch năm 2026"
    assert none.totals()["target"].isna().all() and none.met_count("online") == (0, 0)
    assert len(none.units["unit"].unique()) == 21  # listed all the same, with their rates


def test_each_plan_has_its_own_definitions(store):
    store.import_counts(count_rows([{**_online("Xã Mỹ Tú", y, 3, 10, 10), "fee_online": 4, "fee_dossiers": 10,
                                     "paid_online": 4} for y in (2024, 2025)]), file_name="t3.xlsx")
    plan.copy(store, 2024, 2025)
    store.set_definition(store.plan_of_year(2025)["plan_id"], "cashless", "fee_all")
    old, new = (scorecard.build(store, Period(y, 3)) for y in (2024, 2025))
    assert _row(old, "Xã Mỹ Tú", "cashless")[["numerator", "denominator", "rate"]].tolist() == [4, 4, 100.0]
    assert _row(new, "Xã Mỹ Tú", "cashless")[["numerator", "denominator", "rate"]].tolist() == [4, 10, 40.0]
    assert (old.definitions, new.definitions) == ({}, {"cashless": "fee_all"})
    change = scorecard.definition_change(old, scorecard.build(store, Period(2024, 3), definitions={
        "cashless": "fee_all"}), "cashless")
    assert change == ("Tháng 3/2024: toàn địa bàn 100,00% (4/4) → 40,00% (4/10); đơn vị đạt chỉ tiêu 1/1 → 1/1.")


def test_a_year_has_one_plan_unless_replaced(store):
    again = plan.load()
    with pytest.raises(StoreError, match="Đã có kế hoạch năm 2024"):
        plan.save(store, again)
    again.targets.loc[again.targets["level"] == "area", "wording"] = "Trên 85%"
    again.targets.loc[again.targets["level"] == "area", "threshold"] = 85.0
    plan.save(store, again, replace=True)
    assert len(store.plans()) == 1
    area = store.targets(store.plan_of_year(2024)["plan_id"]).query("level == 'area'")
    assert area["wording"].tolist() == ["Trên 85%", "Trên 85%"]


def test_a_section_that_lists_no_unit(store, tmp_path):
    """As in the real Appendix (seed 000): «Một cửa cấp xã» and «Công an huyện» carry targets, list no unit."""
    seed_like = [line.replace("2024", "2025") for line in
                 ["Phụ lục I", "CHỈ TIÊU năm 2024", "(Kèm theo Kế hoạch số 20/KH-UBND ngày 05/01/2024 của UBND huyện "
                  "Mỹ Tú)"]]
    data = typed(my_tu_sections(communes=False)[:-1], title=seed_like)
    _, stored = plan.save(store, plan.read("pl1-2025.xlsx", data))
    groups = stored.units.groupby("group")["unit"].apply(list)
    assert len(groups["Một cửa cấp xã"]) == 9 and "Xã Mỹ Hương" in groups["Một cửa cấp xã"]
    assert groups["Công an huyện"] == ["Công an huyện"]
    assert "Nhóm «Một cửa cấp xã» không liệt kê đơn vị: áp dụng cho 9 đơn vị đã có của nhóm." in stored.notes
    fresh = Store(tmp_path / "fresh.duckdb")
    setup.initialise(fresh, _write(tmp_path / "pl.xlsx", data))
    assert fresh.units()["unit"].tolist()[-2:] == ["Một cửa cấp xã", "Công an huyện"]  # each section is one unit


def test_rename_keeps_history_targets_and_the_old_name(store):
    store.import_counts(count_rows([_online("Văn phòng đăng ký đất đai", 2024, 3, 81, 19)]), file_name="t3.xlsx")
    store.rename_unit("Văn phòng đăng ký đất đai", "Chi nhánh Văn phòng đăng ký đất đai", alias="van phong dang ky dat dai")
    card = scorecard.build(store, Period(2024, 3))
    renamed = _row(card, "Chi nhánh Văn phòng đăng ký đất đai")
    assert renamed[["numerator", "denominator", "rate", "target", "status"]].tolist() == [81, 100, 81.0, "Trên 80",
                                                                                         scorecard.MET]
    assert "Văn phòng đăng ký đất đai" not in set(card.units["unit"])
    from kpi.ingest.names import Matcher
    assert Matcher(store.units(), store.aliases()).match("VPĐKĐĐ") == "Chi nhánh Văn phòng đăng ký đất đai"


def test_a_merged_unit_is_compared_with_its_parts(store):
    store.import_counts(count_rows([_online("Xã Mỹ Tú", 2024, 12, 40, 10), _online("Xã Phú Mỹ", 2024, 12, 30, 20)]),
                        file_name="t12-2024.xlsx")
    assert store.merge_units(["Xã Mỹ Tú", "Xã Phú Mỹ"], "Xã Mỹ Phú", 202507, group="Một cửa cấp xã")
    store.import_counts(count_rows([_online("Xã Mỹ Phú", 2025, 12, 90, 10)]), file_name="t12-2025.xlsx")
    now = scorecard.build(store, Period(2025, 12))
    year_before = scorecard.build(store, Period(2024, 12), as_of=Period(2025, 12))
    assert _row(now, "Xã Mỹ Phú")["rate"] == 90.0
    assert _row(year_before, "Xã Mỹ Phú")[["numerator", "denominator", "rate"]].tolist() == [70, 100, 70.0]
    assert not {"Xã Mỹ Tú", "Xã Phú Mỹ"} & (set(year_before.units["unit"]) | set(now.units["unit"]))
    as_it_was = scorecard.build(store, Period(2024, 12))  # on its own, 2024 lists the units as they were
    assert {"Xã Mỹ Tú", "Xã Phú Mỹ"} <= set(as_it_was.units["unit"]) and "Xã Mỹ Phú" not in set(as_it_was.units["unit"])
    assert as_it_was.totals().set_index("kpi").at["online", "rate"] == year_before.totals().set_index("kpi").at[
        "online", "rate"] == 70.0
    with pytest.raises(StoreError, match="Xã Mỹ Tú tháng 8/2025 \\(thôi hoạt động từ tháng 7/2025\\)"):
        store.import_counts(count_rows([_online("Xã Mỹ Tú", 2025, 8, 1, 1)]), file_name="late.xlsx")
    with pytest.raises(StoreError, match="đã có số liệu từ tháng đó trở đi của Xã Mỹ Phú \\(tháng 12/2025\\)"):
        store.merge_units(["Xã Mỹ Phú"], "Xã Long Hưng", 202510)


def test_a_retired_unit_leaves_the_ranking_from_its_month(store):
    store.retire_unit("Thanh tra", 202501)
    assert "Thanh tra" in set(scorecard.build(store, Period(2024, 12)).units["unit"])
    assert "Thanh tra" not in set(scorecard.build(store, Period(2025, 1)).units["unit"])
    store.restore_unit("Thanh tra")
    assert "Thanh tra" in set(scorecard.build(store, Period(2025, 1)).units["unit"])


def test_undo_removes_the_units_an_import_added(store):
    first = store.import_counts(count_rows([_online("Xã Mới Lập", 2024, 3, 5, 5)]), file_name="a.xlsx",
                                new_units=pd.DataFrame({"unit": ["Xã Mới Lập"], "group": ["Một cửa cấp xã"]}),
                                aliases={"moi lap": "Xã Mới Lập"})
    assert "Xã Mới Lập" in set(store.units()["unit"])
    done = store.undo_import(first["import_id"])
    assert done["units_removed"] == ["Xã Mới Lập"]
    assert "Xã Mới Lập" not in set(store.units()["unit"]) and store.aliases().empty
    # a name matched to an existing unit by an import is forgotten with it: a wrong match is not repeated
    matched = store.import_counts(count_rows([_online("Xã Mỹ Tú", 2024, 3, 5, 5)]), file_name="a2.xlsx",
                                  aliases={"my tu cu": "Xã Mỹ Tú"})
    assert store.aliases()["alias"].tolist() == ["my tu cu"]
    store.undo_import(matched["import_id"])
    assert store.aliases().empty
    # a unit another import has counts for stays until that import is undone too
    one = store.import_counts(count_rows([_online("Xã Mới", 2024, 4, 5, 5)]), file_name="b.xlsx",
                              new_units=pd.DataFrame({"unit": ["Xã Mới"], "group": ["Một cửa cấp xã"]}))
    two = store.import_counts(count_rows([_online("Xã Mới", 2024, 5, 5, 5)]), file_name="c.xlsx")
    assert store.undo_import(one["import_id"])["units_removed"] == []
    assert "Xã Mới" in set(store.units()["unit"])
    assert store.undo_import(two["import_id"])["units_removed"] == ["Xã Mới"]  # its own import undone already
    with pytest.raises(StoreError, match="đã được thiết lập cho «Huyện Mỹ Tú»"):
        store.start_over()  # a database set up for an area is never emptied for another


def test_a_sample_database_may_be_set_up_again_once_its_real_imports_are_undone(tmp_path):
    store = Store(tmp_path / "demo.duckdb")
    setup.initialise(store, sample="district")
    done = store.import_counts(count_rows([_online("Xã Mỹ Tú", 2025, 1, 5, 5)]), file_name="t1.xlsx")
    with pytest.raises(StoreError, match="đã có số liệu nhập từ tệp"):
        setup.initialise(store, sample="province")
    store.undo_import(done["import_id"])
    assert setup.initialise(store, sample="province")["area"] == "Tỉnh Hòa Lâm"


def _version_2(path) -> None:
    """A database as version 2 of the schema left it: a unit, a plan with one target, a setting."""
    with Store(path).transaction() as con:
        for version in (1, 2):
            for statement in MIGRATIONS[version]:
                con.execute(statement)
        con.execute("INSERT INTO meta VALUES ('schema_version', '2'), ('area', 'Huyện Mỹ Tú'), "
                    "('setting.cashless', 'fee_all')")
        con.execute("INSERT INTO units (name, group_name, position) VALUES ('Xã Mỹ Tú', 'Một cửa cấp xã', 1)")
        con.execute("INSERT INTO plans (name, year, area) VALUES ('Kế hoạch 64/KH-UBND năm 2024', 2024, 'Huyện Mỹ Tú')")
        con.execute("INSERT INTO targets VALUES (1, 'online', 'group', 'Một cửa cấp xã', 'gt', 90, 'Trên 90')")


def test_the_apps_start_brings_an_older_database_up_to_date_and_only_reads_a_current_one(tmp_path):
    path = tmp_path / "v2.duckdb"
    _version_2(path)
    Service(path).ensure()
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION and store.definitions(1) == {"cashless": "fee_all"}
    seen = store.version()
    Service(path).ensure()  # the next start: nothing to do, nothing written (the pages' figures stay cached)
    assert Store(path).version() == seen
    path.with_name(path.name + ".version").unlink()  # copied back from a backup without the file beside it
    Service(path).ensure()
    assert Store(path).version()[0] is not None


def test_a_version_2_database_is_migrated_with_its_plan_and_its_definition(tmp_path):
    path = tmp_path / "v2.duckdb"
    _version_2(path)
    Store(path).migrate()
    store = Store(path)
    assert store.definitions(1) == {"cashless": "fee_all"} and "setting.cashless" not in store.meta()
    assert store.roster(1)[["unit", "group"]].values.tolist() == [["Xã Mỹ Tú", "Một cửa cấp xã"]]
    assert store.targets(1)["wording"].tolist() == ["Trên 90"]
    store.delete_plan(1)  # no foreign key left to stop it
    assert store.plans().empty


def _book(rows: list, merges: tuple = (), headings: list | None = None) -> bytes:
    """An Appendix sheet with the Mỹ Tú title, a header and `rows`; `merges` as openpyxl ranges ("D9:D11")."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "PL1"
    for line in ("CHỈ TIÊU NĂM 2024", "(Kèm theo Kế hoạch số 64/KH-UBND ngày 05/4/2024 của UBND huyện Mỹ Tú)"):
        sheet.append([line])
    sheet.append(["STT", "Đơn vị", *(headings or ["Tỷ lệ trực tuyến (%)", "Thanh toán không dùng tiền mặt (%)"])])
    for row in rows:  # the first body row is row 4
        sheet.append(list(row))
    for merged in merges:
        sheet.merge_cells(merged)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _targets(read: plan.Plan) -> list:
    return read.targets[["kpi", "level", "subject", "wording"]].values.tolist()


def test_merged_cells_notes_totals_and_signatures_below_the_table():
    group = ("I", "Một cửa cấp huyện", "Trên 90", "Tối thiểu 40%")
    # a wording merged down its column holds for every row it spans
    down = plan.read("a.xlsx", _book([("I", "Một cửa cấp huyện", None, None), (1, "Phòng Nội vụ", "Trên 90", "Tối thiểu 40%"),
                                      (2, "Phòng Tư pháp", "Trên 90", None), (3, "Thanh tra", "Trên 90", None)],
                                     merges=("D5:D7",)))
    assert [s for k, lv, s, w in _targets(down) if k == "cashless"] == ["Phòng Nội vụ", "Phòng Tư pháp", "Thanh tra"]
    # a section typed in one merged cell over STT, name and the targets
    merged = plan.read("b.xlsx", _book([group, (1, "Phòng Nội vụ", None, None), ("II. Một cửa cấp xã", None, None, None),
                                        (1, "Xã Mỹ Hương", "Trên 80", None)], merges=("A6:D6",)))
    assert merged.groups == ["Một cửa cấp huyện", "Một cửa cấp xã"]
    assert merged.units.values.tolist() == [["Phòng Nội vụ", "Một cửa cấp huyện"], ["Xã Mỹ Hương", "Một cửa cấp xã"]]
    # a signature block to the right, notes in the STT or name column: the table ends there
    for tail in ([(None, None, None, "TM. ỦY BAN NHÂN DÂN"), (None, None, None, "KT. CHỦ TỊCH")],
                 [("Ghi chú:", "Các đơn vị chưa có chỉ tiêu riêng áp dụng chỉ tiêu nhóm", None, None)],
                 [(None, "* Ghi chú: chỉ tiêu tính theo năm", None, None)]):
        ended = plan.read("c.xlsx", _book([group, (1, "Phòng Nội vụ", None, None), (None, None, None, None), *tail]))
        assert ended.units["unit"].tolist() == ["Phòng Nội vụ"]
    # a total row is the area's row, said in the notes
    total = plan.read("d.xlsx", _book([group, (1, "Phòng Nội vụ", None, None), (None, "Tổng cộng", "Trên 80", "Trên 40")]))
    assert ["online", "area", "Huyện Mỹ Tú", "Trên 80"] in _targets(total)
    assert total.notes == ["Dòng 6 «Tổng cộng»: đọc là chỉ tiêu chung của toàn địa bàn."]
    # 0,9 typed as a number without "%" is not silently 0,9%
    with pytest.raises(PlanError, match=r"dòng 4, cột C \(«Tỷ lệ hồ sơ trực tuyến»\): «0,9» là một tỷ lệ phần trăm quá "
                                        r"nhỏ; nếu là 90% hãy ghi «90%»"):
        plan.read("e.xlsx", _book([("I", "Một cửa cấp huyện", 0.9, 0.4), (1, "Phòng Nội vụ", None, None)]))


def test_a_mistake_on_the_first_sheet_is_said_even_when_another_sheet_reads():
    book = openpyxl.load_workbook(io.BytesIO(_book([("I", "Một cửa cấp huyện", "Khá", None), (1, "Phòng Nội vụ", None,
                                                                                          None)])))
    copy = book.copy_worksheet(book["PL1"])
    copy["C4"] = "Trên 90"
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(PlanError, match="trang «PL1», dòng 4, cột C .*không hiểu mức chỉ tiêu «Khá»"):
        plan.read("two.xlsx", buffer.getvalue())


def test_thirteen_groups_and_a_copied_plan_come_back_from_their_export(store):
    numerals = "I II III IV V VI VII VIII IX X XI XII XIII XIV".split()
    rows = [row for g, numeral in enumerate(numerals, 1) for row in ((numeral, f"Nhóm {g}", "Trên 90", None),
                                                                      (1, f"Đơn vị {g}", None, None))]
    many = plan.read("many.xlsx", _book(rows))
    assert len(many.groups) == 14 and many.groups[12] == "Nhóm 13" and many.units["unit"].iloc[-1] == "Đơn vị 14"
    same_plan(many, plan.read("again.xlsx", appendix.write(many)))
    copy = plan.copy(store, 2024, 2025)
    assert (copy.name, copy.document, copy.source) == ("Kế hoạch năm 2025", None, None)
    same_plan(copy, plan.read("copy.xlsx", appendix.write(copy)))  # not the 2024 document number


def test_a_copy_is_of_the_units_as_they_are_in_its_year(store):
    store.merge_units(["Xã Mỹ Tú", "Xã Phú Mỹ"], "Xã Mỹ Phú", 202501, group="Một cửa cấp xã")
    store.retire_unit("Thanh tra", 202501)
    copy = plan.copy(store, 2024, 2025)
    communes = copy.units.loc[copy.units["group"] == "Một cửa cấp xã", "unit"].tolist()
    assert "Xã Mỹ Phú" in communes and not {"Xã Mỹ Tú", "Xã Phú Mỹ"} & set(communes) and len(communes) == 8
    assert "Thanh tra" not in set(copy.units["unit"]) and "Thanh tra" not in set(copy.targets["subject"])
    card = scorecard.build(store, Period(2025, 1))
    assert _row(card, "Xã Mỹ Phú")["target"] == "Trên 90"  # its group's, in the copied plan


def test_renaming_the_area_carries_into_its_plans(store):
    store.set_area("Huyện Mỹ Tú (cũ)", "district")
    assert store.plans()["area"].tolist() == ["Huyện Mỹ Tú (cũ)"]
    assert set(store.targets(1).query("level == 'area'")["subject"]) == {"Huyện Mỹ Tú (cũ)"}
    assert plan.copy(store, 2024, 2025).area == "Huyện Mỹ Tú (cũ)"
    assert scorecard.build(store, Period(2024, 6)).totals().set_index("kpi").at["online", "target"] == "Trên 80%"


def test_a_target_given_to_a_unit_the_plan_did_not_list_takes_it_into_the_plan(store):
    store.import_counts(count_rows([_online("Xã Mới Lập", 2024, 3, 5, 5)]), file_name="a.xlsx",
                        new_units=pd.DataFrame({"unit": ["Xã Mới Lập"], "group": ["Một cửa cấp xã"]}))
    targets = pd.concat([store.targets(1), plan.target_rows([("online", "unit", "Xã Mới Lập", "Trên 50", "")])])
    store.set_targets(1, targets)
    assert store.roster(1)["unit"].iloc[-1] == "Xã Mới Lập"
    judged = _row(scorecard.build(store, Period(2024, 3)), "Xã Mới Lập")
    assert judged[["target", "rate", "status", "needed"]].tolist() == ["Trên 50", 50.0, scorecard.NOT_MET, 1]
