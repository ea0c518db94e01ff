"""python -m kpi, run as a user runs it, on a temporary database."""
import getpass
import socket
import json
import subprocess
import sys

from conftest import ROOT
from kpi.plan import SHIPPED_PLAN as PLAN


def kpi(env, *args):
    return subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def test_init_demo_then_ranking_json_contract(cli_env):
    init = kpi(cli_env, "init", "--demo")
    assert init.returncode == 0, init.stderr
    assert "21 đơn vị" in init.stdout and "504 dòng dữ liệu mẫu" in init.stdout
    out = kpi(cli_env, "ranking", "--period", "2024-06", "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert (data["period"], data["scope"], data["kpi"]) == ("2024-06", "month", "online")
    assert data["plan"] == "Kế hoạch 64/KH-UBND năm 2024" and data["sample"] is True
    assert len(data["units"]) == 21
    first = data["units"][0]
    assert set(first) == {"unit", "group", "rank", "kpis"}
    assert set(first["kpis"]["online"]) == {"numerator", "denominator", "rate", "target", "met", "needed"}
    assert {"online", "cashless", "ontime"} <= set(first["kpis"])
    assert set(data["area"]["online"]) == {"numerator", "denominator", "rate", "target", "met"}

    units = {u["unit"]: u for u in data["units"]}
    tu_phap = units["Phòng Tư pháp"]["kpis"]["online"]
    assert tu_phap == {"numerator": 45, "denominator": 50, "rate": 90.0, "target": "Trên 90", "met": False,
                       "needed": 1}
    # the area sums exactly the units listed
    for key, area in data["area"].items():
        listed = [u["kpis"][key] for u in data["units"] if u["kpis"][key]["denominator"] is not None]
        assert area["numerator"] == sum(v["numerator"] for v in listed)
        assert area["denominator"] == sum(v["denominator"] for v in listed)
        assert area["rate"] == area["numerator"] * 100 / area["denominator"]
    assert data["area"]["online"]["target"] == "Trên 80%"
    assert data["area"]["online"]["met"] == (data["area"]["online"]["rate"] > 80)
    ranks = [u["rank"] for u in data["units"] if u["rank"] is not None]
    assert ranks == sorted(ranks) and ranks[0] == 1


def test_ranking_units_without_dossiers_are_null_and_unranked(cli_env):
    kpi(cli_env, "init", "--demo")
    data = json.loads(kpi(cli_env, "ranking", "--period", "2024-06", "--kpi", "cashless", "--format", "json").stdout)
    empty = [u for u in data["units"] if u["kpis"]["cashless"]["denominator"] == 0]
    assert empty, "the sample has units without fee dossiers in June 2024"
    for u in empty:
        assert u["rank"] is None and u["kpis"]["cashless"]["rate"] is None and u["kpis"]["cashless"]["met"] is None
    assert data["units"][-len(empty):] == empty


def test_months_without_cashless_counts_give_null_not_zero(cli_env):
    kpi(cli_env, "init", "--demo")
    data = json.loads(kpi(cli_env, "ranking", "--period", "2023-03", "--format", "json").stdout)
    assert data["area"]["cashless"] == {"numerator": None, "denominator": None, "rate": None,
                                        "target": None, "met": None}
    assert data["plan"] is None  # 2023 has no plan: never judged by 2024's
    assert data["area"]["online"] == {"numerator": 766, "denominator": 1723, "rate": 766 * 100 / 1723,
                                      "target": None, "met": None}


def test_group_filter_and_scopes(cli_env):
    kpi(cli_env, "init", "--demo")
    data = json.loads(kpi(cli_env, "ranking", "--period", "2024-06", "--scope", "ytd", "--group", "Một cửa cấp xã",
                          "--format", "json").stdout)
    assert data["scope"] == "ytd" and len(data["units"]) == 9
    assert data["area"]["online"]["denominator"] == sum(u["kpis"]["online"]["denominator"] for u in data["units"])
    table = kpi(cli_env, "ranking", "--period", "2024-06", "--scope", "quarter")
    assert table.returncode == 0 and "Quý II/2024" in table.stdout and "(Dữ liệu mẫu)" in table.stdout
    assert "Toàn bộ: 4.311/4.893 = 88,11%; chỉ tiêu Trên 80%: đạt" in table.stdout
    csv = kpi(cli_env, "ranking", "--period", "2024-06", "--format", "csv").stdout.splitlines()
    assert csv[0].startswith("unit,group,rank,online_numerator") and len(csv) == 22


def test_bad_input_gets_a_vietnamese_message_and_exit_2(cli_env):
    kpi(cli_env, "init", "--plan", str(PLAN))
    bad = kpi(cli_env, "ranking", "--period", "2024-13")
    assert bad.returncode == 2 and "Lỗi: Tháng không hợp lệ: 13" in bad.stderr
    bad = kpi(cli_env, "ranking", "--period", "2024-06", "--group", "Phường 1")
    assert bad.returncode == 2 and "Không có nhóm 'Phường 1'" in bad.stderr


def test_missing_database_is_explained(cli_env):
    out = kpi(cli_env, "ranking", "--period", "2024-06")
    assert out.returncode == 2 and "python -m kpi init" in out.stderr


def test_import_imports_and_undo(cli_env, tmp_path):
    from sheets import bieu06, counts
    kpi(cli_env, "init", "--plan", str(PLAN))
    first = tmp_path / "t3.xlsx"
    first.write_bytes(bieu06([("I", "x", [("Phòng Tư pháp", counts(45, 5)), ("UBND xã Mới Lập", counts(3, 1))])]))
    refused = kpi(cli_env, "import", str(first))
    assert refused.returncode == 2
    assert "Tệp t3.xlsx có 1 tên chưa có trong danh sách đơn vị:\n  dòng 11: UBND xã Mới Lập\nDùng --add-units" \
        in refused.stderr
    assert "Chưa có lần nhập nào." in kpi(cli_env, "imports").stdout
    skipped = kpi(cli_env, "import", str(first), "--skip", "UBND xã Mới Lập")
    assert skipped.returncode == 0, skipped.stderr
    assert skipped.stdout.strip() == "Đã nhập t3.xlsx: tháng 3/2024, 1 đơn vị, 1 dòng (lần nhập số 1; bỏ qua 1 dòng)."
    assert kpi(cli_env, "undo", "1").returncode == 0
    done = kpi(cli_env, "import", str(first), "--add-units")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Đã nhập t3.xlsx: tháng 3/2024, 2 đơn vị, 2 dòng (lần nhập số 2; thêm 1 đơn vị)."

    fix = tmp_path / "t3-sua.xlsx"
    fix.write_bytes(bieu06([("I", "x", [("Phòng Tư pháp", counts(46, 4))])]))
    refused = kpi(cli_env, "import", str(fix))
    assert refused.returncode == 2 and "đã có số liệu tháng 3/2024 của Phòng Tư pháp. Dùng --replace" in refused.stderr
    assert kpi(cli_env, "import", str(fix), "--replace").returncode == 0
    ranking = json.loads(kpi(cli_env, "ranking", "--period", "2024-03", "--format", "json").stdout)
    units = {u["unit"]: u for u in ranking["units"]}
    assert units["Phòng Tư pháp"]["kpis"]["online"]["rate"] == 92.0
    assert units["UBND xã Mới Lập"]["group"] == "Một cửa cấp huyện"  # the group its section's units are in

    history = kpi(cli_env, "imports").stdout
    assert "t3-sua.xlsx 2024-03" in history and f"{getpass.getuser()}@{socket.gethostname()}" in history  # who ran it
    assert kpi(cli_env, "undo", "2").returncode == 2  # replaced by import 3: undo that first
    undone = kpi(cli_env, "undo", "3")
    assert undone.stdout.strip() == "Đã hoàn tác lần nhập số 3 (t3-sua.xlsx): bỏ 1 dòng, khôi phục 1 dòng đã bị thay thế."
    ranking = json.loads(kpi(cli_env, "ranking", "--period", "2024-03", "--format", "json").stdout)
    assert {u["unit"]: u for u in ranking["units"]}["Phòng Tư pháp"]["kpis"]["online"]["rate"] == 90.0
    assert "đã hoàn tác" in kpi(cli_env, "imports").stdout


def test_import_refuses_warnings_without_yes_and_keeps_the_database(cli_env, tmp_path):
    from sheets import bieu06, counts
    kpi(cli_env, "init", "--plan", str(PLAN))
    path = tmp_path / "t4.xlsx"
    path.write_bytes(bieu06([("I", "x", [("Xã Mỹ Tú", {**counts(45, 5), "received": 52})])], total=False,
                            title_period="Tháng 4 năm 2024"))
    refused = kpi(cli_env, "import", str(path))
    assert refused.returncode == 2 and "dùng --yes để vẫn nhập" in refused.stderr
    assert "Chưa có lần nhập nào." in kpi(cli_env, "imports").stdout
    accepted = kpi(cli_env, "import", str(path), "--yes", "--period", "2024-05")
    assert accepted.returncode == 0 and "tháng 5/2024" in accepted.stdout and "chấp nhận 2 cảnh báo" in accepted.stdout
    missing = kpi(cli_env, "import", str(tmp_path / "none.xlsx"))
    assert missing.returncode == 2 and "Không có tệp" in missing.stderr
