"""python -m kpi plan … and unit …, run as a user runs them, on temporary databases."""
import json

from conftest import ROOT  # noqa: F401  (the project on sys.path)
from kpi.plan import SHIPPED_PLAN
from sheets import appendix, my_tu_sections
from test_cli import kpi

PROVINCE_TITLE = ["ỦY BAN NHÂN DÂN TỈNH HÒA LÂM", "PHỤ LỤC 1", "CHỈ TIÊU DỊCH VỤ CÔNG TRỰC TUYẾN NĂM 2026",
                  "(Kèm theo Kế hoạch số 15/KH-UBND ngày 20/01/2026 của UBND tỉnh Hòa Lâm)"]
PROVINCE_ROWS = [("", "Toàn tỉnh", "Trên 80%", "Tối thiểu 60%"),
                 ("I", "Sở, ban, ngành", "Tối thiểu 85%", "Tối thiểu 60%"),
                 ("1", "Sở Tư pháp", ">= 95", None), ("2", "Sở Nông nghiệp và Môi trường", None, None),
                 ("II", "Xã, phường, đặc khu", "Tối thiểu 75%", "Ít nhất 50%"),
                 ("1", "Phường Bình Minh", None, None), ("2", "Xã Tân Hòa", None, None)]


def test_a_province_database_from_its_own_appendix_lists_its_units_only(cli_env, tmp_path):
    path = tmp_path / "pl1-2026.xlsx"
    path.write_bytes(appendix(PROVINCE_ROWS, title=PROVINCE_TITLE))
    made = kpi(cli_env, "init", "--plan", str(path), "--level", "province")
    assert made.returncode == 0, made.stderr
    assert "Tỉnh Hòa Lâm, kế hoạch «Kế hoạch 15/KH-UBND năm 2026», 4 đơn vị" in made.stdout
    units = kpi(cli_env, "unit", "list").stdout
    for name in ("Sở Tư pháp", "Sở Nông nghiệp và Môi trường", "Phường Bình Minh", "Xã Tân Hòa"):
        assert name in units
    assert "Mỹ Tú" not in units and "Phòng Tư pháp" not in units
    listed = kpi(cli_env, "plan", "list").stdout
    assert "2026" in listed and "Kế hoạch 15/KH-UBND năm 2026" in listed and "các kỳ của năm 2026" in listed
    # a plan of another area is refused, and nothing changes
    other = tmp_path / "my-tu.xlsx"
    other.write_bytes(appendix(my_tu_sections()))
    refused = kpi(cli_env, "plan", "import", str(other))
    assert refused.returncode == 2
    assert "là của «Huyện Mỹ Tú», cơ sở dữ liệu này là của «Tỉnh Hòa Lâm»" in refused.stderr
    assert kpi(cli_env, "unit", "list").stdout == units


def test_an_unreadable_wording_is_refused_with_its_cell_and_exit_2(cli_env, tmp_path):
    kpi(cli_env, "init", "--plan", str(SHIPPED_PLAN))
    rows = my_tu_sections()
    rows[3] = ("2.", "Phòng Tài nguyên và Môi trường", "Trên 90", "Tăng dần")
    path = tmp_path / "pl1-2025.xlsx"
    path.write_bytes(appendix(rows))
    before = kpi(cli_env, "plan", "list").stdout
    refused = kpi(cli_env, "plan", "import", str(path), "--year", "2025")
    assert refused.returncode == 2
    assert refused.stderr.strip() == ("Lỗi: Tệp pl1-2025.xlsx, trang «PL1», dòng 11, cột D («Tỷ lệ thanh toán không "
                                      "dùng tiền mặt»): không hiểu mức chỉ tiêu «Tăng dần»: cần dạng «Trên 90», «Tối "
                                      "thiểu 40%», «Từ 98% trở lên», «>= 98» hoặc «100%».")
    assert kpi(cli_env, "plan", "list").stdout == before


def test_plan_import_export_copy_define_and_delete(cli_env, tmp_path):
    kpi(cli_env, "init", "--plan", str(SHIPPED_PLAN))
    typed = tmp_path / "pl1-2025.xlsx"
    typed.write_bytes(appendix(my_tu_sections()))
    done = kpi(cli_env, "plan", "import", str(typed), "--year", "2025", "--name", "Kế hoạch thử năm 2025")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("Đã nhập «Kế hoạch thử năm 2025» (Huyện Mỹ Tú, năm 2025): 21 đơn vị, 28 chỉ tiêu; "
                                   "kế hoạch này đánh giá các kỳ của năm 2025.")
    again = kpi(cli_env, "plan", "import", str(typed), "--year", "2025")
    assert again.returncode == 2 and "Đã có kế hoạch năm 2025 («Kế hoạch thử năm 2025»)" in again.stderr
    exported = tmp_path / "export-2024.xlsx"
    assert kpi(cli_env, "plan", "export", str(exported), "--year", "2024").returncode == 0
    replaced = kpi(cli_env, "plan", "import", str(exported), "--year", "2025", "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert "«Kế hoạch 64/KH-UBND năm 2025»" in replaced.stdout  # the export's document, in the year asked

    copied = kpi(cli_env, "plan", "copy", "2025")
    assert copied.returncode == 0 and "Đã chép kế hoạch năm 2025 sang năm 2026: «Kế hoạch năm 2026», 28 chỉ tiêu" \
        in copied.stdout
    defined = kpi(cli_env, "plan", "define", "2026", "cashless", "fee_all")
    assert "* cashless fee_all" in defined.stdout and "  cashless fee_online" in defined.stdout
    assert "* cashless fee_online" in kpi(cli_env, "plan", "define", "2025", "cashless").stdout
    bad = kpi(cli_env, "plan", "define", "2026", "cashless", "moi")
    assert bad.returncode == 2 and "không có cách tính 'moi'" in bad.stderr
    assert kpi(cli_env, "plan", "delete", "2026").returncode == 0
    missing = kpi(cli_env, "plan", "define", "2026")
    assert missing.returncode == 2 and "Chưa có kế hoạch năm 2026" in missing.stderr


def test_units_over_time_from_the_command_line(cli_env, tmp_path):
    from sheets import bieu06, counts
    kpi(cli_env, "init", "--plan", str(SHIPPED_PLAN))
    december = tmp_path / "t12-2024.xlsx"
    december.write_bytes(bieu06([("II", "x", [("Xã Mỹ Tú", counts(40, 10)), ("Xã Phú Mỹ", counts(30, 20))])],
                                title_period="Tháng 12 năm 2024"))
    assert kpi(cli_env, "import", str(december)).returncode == 0
    merged = kpi(cli_env, "unit", "merge", "Xã Mỹ Tú", "Xã Phú Mỹ", "--into", "Xã Mỹ Phú", "--from", "2025-07",
                 "--group", "Một cửa cấp xã")
    assert merged.returncode == 0, merged.stderr
    assert merged.stdout.startswith("Đã gộp «Xã Mỹ Tú», «Xã Phú Mỹ» thành «Xã Mỹ Phú» (đơn vị mới) từ tháng 7/2025")
    renamed = kpi(cli_env, "unit", "rename", "Thanh tra", "Thanh tra huyện")
    assert renamed.returncode == 0 and "tệp ghi tên cũ vẫn nhận ra" in renamed.stdout
    assert kpi(cli_env, "unit", "regroup", "Thanh tra huyện", "Khối nội chính").returncode == 0
    assert kpi(cli_env, "unit", "retire", "Phòng Nội vụ", "--from", "2025-03").returncode == 0
    listing = kpi(cli_env, "unit", "list").stdout
    assert "Xã Mỹ Phú" in listing and "Phòng Nội vụ" not in listing and "Xã Phú Mỹ" not in listing
    assert "Thanh tra huyện" in listing and "Khối nội chính" in listing
    every = kpi(cli_env, "unit", "list", "--all").stdout
    assert "Xã Phú Mỹ" in every and "6/2025" in every and "2/2025" in every  # until the month before
    ranking = json.loads(kpi(cli_env, "ranking", "--period", "2024-12", "--format", "json").stdout)
    assert {"Thanh tra huyện", "Xã Mỹ Tú", "Xã Phú Mỹ"} <= {u["unit"] for u in ranking["units"]}
    groups = {u["unit"]: u["group"] for u in ranking["units"]}
    assert groups["Thanh tra huyện"] == "Khối nội chính"  # in the latest plan, 2024's
    late = tmp_path / "t8-2025.xlsx"
    late.write_bytes(bieu06([("II", "x", [("Xã Mỹ Tú", counts(1, 1))])], title_period="Tháng 8 năm 2025"))
    refused = kpi(cli_env, "import", str(late))
    assert refused.returncode == 2 and "Xã Mỹ Tú tháng 8/2025 (thôi hoạt động từ tháng 7/2025)" in refused.stderr
    added = kpi(cli_env, "unit", "alias", "add", "UBND xã Mỹ Phú mới", "Xã Mỹ Phú")
    assert added.returncode == 0 and "xã mỹ phú mới" in kpi(cli_env, "unit", "alias", "list").stdout
    assert kpi(cli_env, "unit", "alias", "remove", "UBND xã Mỹ Phú mới").returncode == 0
    assert "UBND xã Mỹ Phú mới" not in kpi(cli_env, "unit", "alias", "list").stdout
    unknown = kpi(cli_env, "unit", "rename", "Không Có", "X")
    assert unknown.returncode == 2 and "Không có đơn vị «Không Có»" in unknown.stderr


def test_the_province_sample(cli_env):
    made = kpi(cli_env, "init", "--demo", "province")
    assert made.returncode == 0, made.stderr
    assert "Tỉnh Hòa Lâm, kế hoạch «Kế hoạch 15/KH-UBND năm 2026», 115 đơn vị, 2.530 dòng dữ liệu mẫu " \
           "(1/2025–10/2026)" in made.stdout
    judged = json.loads(kpi(cli_env, "ranking", "--period", "2026-10", "--format", "json").stdout)
    assert judged["sample"] and judged["plan"] == "Kế hoạch 15/KH-UBND năm 2026" and len(judged["units"]) == 115
    assert {k: judged["area"][k]["target"] for k in ("online", "cashless", "ontime", "digitised")} == {
        "online": "Trên 80%", "cashless": "Tối thiểu 60%", "ontime": "Từ 98% trở lên", "digitised": "Tối thiểu 90%"}
    unjudged = json.loads(kpi(cli_env, "ranking", "--period", "2025-10", "--format", "json").stdout)
    assert unjudged["plan"] is None and all(u["kpis"]["online"]["met"] is None for u in unjudged["units"])
    listed = kpi(cli_env, "plan", "list").stdout
    assert "Chưa có kế hoạch năm 2025: các tỷ lệ của năm này không được đánh giá đạt / chưa đạt." in listed
    again = kpi(cli_env, "init", "--demo")  # sample replaces sample: back to the district
    assert again.returncode == 0 and "Huyện Mỹ Tú" in again.stdout
    assert "Hòa Lâm" not in kpi(cli_env, "unit", "list").stdout


def test_a_database_of_the_previous_version_is_brought_up_to_date_by_any_command(cli_env, tmp_path):
    from kpi.store import MIGRATIONS, Store
    path = tmp_path / "v2.duckdb"
    with Store(path).transaction() as con:
        for version in (1, 2):
            for statement in MIGRATIONS[version]:
                con.execute(statement)
        con.execute("INSERT INTO meta VALUES ('schema_version', '2'), ('area', 'Huyện Mỹ Tú')")
        con.execute("INSERT INTO plans (name, year, area) VALUES ('Kế hoạch 64/KH-UBND năm 2024', 2024, 'Huyện Mỹ Tú')")
    listed = kpi(dict(cli_env, KPI_DB=str(path)), "plan", "list")
    assert listed.returncode == 0, listed.stderr
    assert "Kế hoạch 64/KH-UBND năm 2024" in listed.stdout


def test_init_never_wipes_a_database_set_up_for_an_area(cli_env, tmp_path):
    path = tmp_path / "pl1-2026.xlsx"
    path.write_bytes(appendix(PROVINCE_ROWS, title=PROVINCE_TITLE))
    assert kpi(cli_env, "init", "--plan", str(path)).returncode == 0
    wiped = kpi(cli_env, "init", "--demo")
    assert wiped.returncode == 2 and "đã được thiết lập cho «Tỉnh Hòa Lâm»" in wiped.stderr
    assert "Sở Tư pháp" in kpi(cli_env, "unit", "list").stdout
    again = kpi(cli_env, "init")
    assert again.returncode == 0 and again.stdout.startswith("Đã cập nhật ")


def test_a_refused_init_leaves_no_database_behind(cli_env, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('area = "Tỉnh X"\n[[groups]]\nname = "A"\nunits = ["B"]\n', encoding="utf-8")
    refused = kpi(cli_env, "init", "--plan", str(bad))
    assert refused.returncode == 2 and "thiếu năm của kế hoạch" in refused.stderr
    missing = kpi(cli_env, "plan", "list")
    assert missing.returncode == 2 and "Chưa có cơ sở dữ liệu" in missing.stderr
