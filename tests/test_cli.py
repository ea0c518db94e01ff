"""python -m kpi, run as a user runs it, on a temporary database."""
import json
import subprocess
import sys

from conftest import ROOT


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
                                        "target": "Trên 40%", "met": None}


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
    kpi(cli_env, "init")
    bad = kpi(cli_env, "ranking", "--period", "2024-13")
    assert bad.returncode == 2 and "Lỗi: Tháng không hợp lệ: 13" in bad.stderr
    bad = kpi(cli_env, "ranking", "--period", "2024-06", "--group", "Phường 1")
    assert bad.returncode == 2 and "Không có nhóm 'Phường 1'" in bad.stderr


def test_missing_database_is_explained(cli_env):
    out = kpi(cli_env, "ranking", "--period", "2024-06")
    assert out.returncode == 2 and "python -m kpi init" in out.stderr
