"""Command line: python -m kpi [--db FILE] init|ranking ...

Exit 0 on success; 2 with a Vietnamese message on stderr when the input or the database is
not usable.
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

import pandas as pd

from kpi import demo, exports, fmt, ingest, measures, memory, plan, roster, scorecard
from kpi.periods import SCOPES, Period
from kpi.service import DEMO_LABEL, ROLES, SETTINGS, Service, StoreError, console


def main(argv: list[str] | None = None) -> int:
    memory.hand_back()
    args = _parser().parse_args(argv)
    door = Service(args.db, console())
    try:
        door.migrate()  # a database from an earlier version, brought up to date first
        with door.waiting_shown(_waiting):
            return args.run(door, args)
    except (StoreError, ValueError, RuntimeError) as error:  # PlanError, InputError; reports.ChartImageError
        print(f"Lỗi: {error}", file=sys.stderr)
        return 2


def _waiting(ahead: int, seconds: float) -> None:
    print(f"Đang chờ lượt ghi vào cơ sở dữ liệu: {ahead} việc ghi đang trước ({round(seconds)} giây)…",
          file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m kpi", description="Chỉ số dịch vụ công trực tuyến (dvc-kpi)")
    parser.add_argument("--db", type=Path, help="tệp cơ sở dữ liệu (mặc định: $KPI_DB hoặc data/kpi.duckdb)")
    commands = parser.add_subparsers(required=True, metavar="LỆNH")

    init = commands.add_parser("init", help="tạo cơ sở dữ liệu cho một địa bàn, nạp kế hoạch (Phụ lục 1)")
    init.add_argument("--demo", nargs="?", const="district", choices=list(demo.SAMPLES),
                      help="dữ liệu mẫu: district (huyện Mỹ Tú 2023–2024, mặc định) hoặc province (tỉnh 2025–2026)")
    init.add_argument("--plan", type=Path, help="tệp kế hoạch: Phụ lục 1 gõ trong Excel (.xlsx) hoặc .toml")
    init.add_argument("--year", type=int, help="năm của kế hoạch, khi tiêu đề tệp không ghi")
    init.add_argument("--area", help="tên địa bàn, ví dụ «Tỉnh Gia Lai» (mặc định: đọc từ kế hoạch)")
    init.add_argument("--level", choices=list(plan.LEVELS), help="cấp: province (tỉnh), commune (xã), district")
    init.set_defaults(run=_init)

    ranking = commands.add_parser("ranking", help="xếp hạng đơn vị theo một chỉ tiêu")
    ranking.add_argument("--period", required=True, help="tháng cuối kỳ, dạng NNNN-TT, ví dụ 2024-06")
    ranking.add_argument("--scope", choices=list(SCOPES), default="month")
    ranking.add_argument("--kpi", choices=list(measures.KPIS), default="online")
    ranking.add_argument("--group", help="chỉ một nhóm đơn vị, ví dụ 'Một cửa cấp xã'")
    ranking.add_argument("--format", choices=["table", "csv", "json"], default="table")
    ranking.set_defaults(run=_ranking)

    load = commands.add_parser("import", help="nhập báo cáo tháng từ Hệ thống một cửa điện tử (.xlsx, .xls, .csv)")
    load.add_argument("files", nargs="+", type=Path, metavar="TỆP")
    load.add_argument("--period", help="tháng của số liệu, NNNN-TT (mặc định: đọc từ tiêu đề tệp)")
    load.add_argument("--replace", action="store_true", help="thay thế số liệu đã có của cùng đơn vị, cùng tháng")
    load.add_argument("--yes", action="store_true", help="chấp nhận các cảnh báo (không bao giờ bỏ qua lỗi)")
    load.add_argument("--add-units", action="store_true", help="thêm các đơn vị chưa có trong danh sách")
    load.add_argument("--unit", metavar="TÊN", help="đơn vị của một báo cáo theo lĩnh vực (mặc định: đơn vị tiêu đề ghi)")
    load.add_argument("--skip", action="append", default=[], metavar="TÊN",
                      help="bỏ qua dòng có tên này (một dòng tổng nhóm, một đơn vị ngoài địa bàn); dùng nhiều lần được")
    load.set_defaults(run=_import)

    history = commands.add_parser("imports", help="lịch sử các lần nhập")
    history.set_defaults(run=_imports)

    undo = commands.add_parser("undo", help="hoàn tác một lần nhập, khôi phục số liệu nó đã thay thế")
    undo.add_argument("import_id", type=int, metavar="SỐ")
    undo.set_defaults(run=_undo)

    report = commands.add_parser("report", help="báo cáo của một kỳ: Excel, PowerPoint, Word, ảnh PNG")
    report.add_argument("--period", required=True, help="tháng cuối kỳ, dạng NNNN-TT")
    report.add_argument("--scope", choices=list(SCOPES), default="month")
    report.add_argument("--xlsx", type=Path, help="tệp Excel")
    report.add_argument("--pptx", type=Path, help="tệp PowerPoint")
    report.add_argument("--docx", type=Path, help="tệp Word")
    report.add_argument("--png", type=Path, metavar="THƯ_MỤC", help="thư mục ảnh biểu đồ")
    report.set_defaults(run=_report)

    plans = commands.add_parser("plan", help="kế hoạch theo năm: xem, nhập, xuất, chép, cách tính").add_subparsers(
        required=True, metavar="VIỆC")
    listed = plans.add_parser("list", help="các kế hoạch và năm mỗi kế hoạch đánh giá")
    listed.set_defaults(run=_plan_list)
    loaded = plans.add_parser("import", help="nhập Phụ lục 1 gõ trong Excel (.xlsx) hoặc tệp .toml")
    loaded.add_argument("file", type=Path, metavar="TỆP")
    loaded.add_argument("--year", type=int, help="năm của kế hoạch (mặc định: đọc từ tiêu đề)")
    loaded.add_argument("--name", help="tên kế hoạch (mặc định: «Kế hoạch SỐ năm NĂM»)")
    loaded.add_argument("--replace", action="store_true", help="thay kế hoạch đã có của cùng năm")
    loaded.set_defaults(run=_plan_import)
    exported = plans.add_parser("export", help="xuất kế hoạch của một năm ra Phụ lục 1 (.xlsx), nhập lại được")
    exported.add_argument("file", type=Path, metavar="TỆP")
    exported.add_argument("--year", type=int, help="năm (mặc định: kế hoạch mới nhất)")
    exported.set_defaults(run=_plan_export)
    copied = plans.add_parser("copy", help="chép kế hoạch của một năm sang năm khác (mặc định: năm sau)")
    copied.add_argument("year", type=int, metavar="NĂM")
    copied.add_argument("--to", type=int, dest="to_year", help="năm nhận (mặc định: NĂM + 1)")
    copied.add_argument("--replace", action="store_true", help="thay kế hoạch đã có của năm nhận")
    copied.set_defaults(run=_plan_copy)
    define = plans.add_parser("define", help="xem hoặc chọn cách tính (mẫu số) của một chỉ tiêu trong kế hoạch")
    define.add_argument("year", type=int, metavar="NĂM")
    define.add_argument("kpi", nargs="?", choices=list(measures.KPIS))
    define.add_argument("variant", nargs="?", metavar="CÁCH_TÍNH")
    define.set_defaults(run=_plan_define)
    drop = plans.add_parser("delete", help="xoá kế hoạch của một năm (số liệu và đơn vị giữ nguyên)")
    drop.add_argument("year", type=int, metavar="NĂM")
    drop.set_defaults(run=_plan_delete)

    units = commands.add_parser("unit", help="đơn vị theo thời gian: thêm, đổi tên, chuyển nhóm, thôi, gộp")
    unit_commands = units.add_subparsers(required=True, metavar="VIỆC")
    shown = unit_commands.add_parser("list", help="danh sách đơn vị, nhóm, thời gian hoạt động, tên khác")
    shown.add_argument("--all", action="store_true", help="kể cả đơn vị đã thôi hoạt động hoặc đã gộp")
    shown.set_defaults(run=_unit_list)
    added = unit_commands.add_parser("add", help="thêm đơn vị")
    added.add_argument("name", metavar="TÊN")
    added.add_argument("--group", required=True, help="nhóm của đơn vị")
    added.add_argument("--from", dest="since", help="hoạt động từ tháng NNNN-TT (mặc định: từ đầu)")
    added.set_defaults(run=_unit_add)
    renamed = unit_commands.add_parser("rename", help="đổi tên đơn vị; tên cũ thành tên khác của đơn vị")
    renamed.add_argument("name", metavar="TÊN")
    renamed.add_argument("new_name", metavar="TÊN_MỚI")
    renamed.set_defaults(run=_unit_rename)
    regrouped = unit_commands.add_parser("regroup", help="chuyển đơn vị sang nhóm khác")
    regrouped.add_argument("name", metavar="TÊN")
    regrouped.add_argument("group", metavar="NHÓM")
    regrouped.add_argument("--year", type=int, help="trong kế hoạch từ năm này (mặc định: kế hoạch mới nhất)")
    regrouped.set_defaults(run=_unit_regroup)
    retired = unit_commands.add_parser("retire", help="đơn vị thôi hoạt động từ một tháng")
    retired.add_argument("name", metavar="TÊN")
    retired.add_argument("--from", dest="since", required=True, help="tháng NNNN-TT đầu tiên không còn hoạt động")
    retired.set_defaults(run=_unit_retire)
    merged = unit_commands.add_parser("merge", help="gộp các đơn vị thành một từ một tháng")
    merged.add_argument("parts", nargs="+", metavar="ĐƠN_VỊ")
    merged.add_argument("--into", required=True, help="đơn vị sau khi gộp (đã có, hoặc tên mới)")
    merged.add_argument("--from", dest="since", required=True, help="tháng NNNN-TT bắt đầu gộp")
    merged.add_argument("--group", help="nhóm của đơn vị mới")
    merged.set_defaults(run=_unit_merge)
    restored = unit_commands.add_parser("restore", help="bỏ việc thôi hoạt động hay gộp của một đơn vị")
    restored.add_argument("name", metavar="TÊN")
    restored.set_defaults(run=_unit_restore)
    alias = unit_commands.add_parser("alias", help="tên khác của đơn vị trong tệp báo cáo: xem, thêm, bỏ")
    alias.add_argument("action", choices=["list", "add", "remove"])
    alias.add_argument("alias", nargs="?", metavar="TÊN_KHÁC")
    alias.add_argument("unit", nargs="?", metavar="ĐƠN_VỊ")
    alias.set_defaults(run=_unit_alias)

    users = commands.add_parser("user", help="người dùng và vai trò: thêm, xem, đặt mật khẩu, đổi vai trò, khoá")
    user_commands = users.add_subparsers(required=True, metavar="VIỆC")
    user_commands.add_parser("list", help="danh sách người dùng").set_defaults(run=_user_list)
    added_user = user_commands.add_parser("add", help="thêm người dùng; mật khẩu được hỏi, không ghi trên dòng lệnh")
    added_user.add_argument("name", metavar="TÊN")
    added_user.add_argument("--role", required=True, choices=list(ROLES),
                            help="viewer (xem), uploader (nhập liệu), admin (quản trị)")
    added_user.add_argument("--sso", action="store_true", help="chỉ đăng nhập một lần của cơ quan, không mật khẩu")
    added_user.set_defaults(run=_user_add)
    passwd = user_commands.add_parser("passwd", help="đặt mật khẩu mới (được hỏi, hoặc đọc từ đầu vào chuẩn)")
    passwd.add_argument("name", metavar="TÊN")
    passwd.set_defaults(run=_user_passwd)
    role = user_commands.add_parser("role", help="đổi vai trò")
    role.add_argument("name", metavar="TÊN")
    role.add_argument("role", choices=list(ROLES))
    role.set_defaults(run=_user_role)
    for verb, disabled, text in (("disable", True, "khoá tài khoản: không đăng nhập được nữa"),
                                 ("enable", False, "mở khoá tài khoản")):
        toggled = user_commands.add_parser(verb, help=text)
        toggled.add_argument("name", metavar="TÊN")
        toggled.set_defaults(run=_user_disable, disabled=disabled)

    setting = commands.add_parser("setting", help="cài đặt: xem, hoặc bật/tắt một cài đặt")
    setting.add_argument("key", nargs="?", choices=list(SETTINGS), metavar="CÀI_ĐẶT")
    setting.add_argument("value", nargs="?", choices=["on", "off"], metavar="on|off")
    setting.set_defaults(run=_setting)
    return parser


def _init(door: Service, args) -> int:
    if args.demo and args.plan:
        raise ValueError("Chọn một: --demo (dữ liệu mẫu) hoặc --plan TỆP (kế hoạch của địa bàn).")
    new = not door.path.exists()
    try:
        done = door.initialise(args.plan, sample=args.demo, year=args.year, area=args.area, level=args.level)
    except BaseException:
        if new:  # a refused init leaves no empty database behind
            for path in (door.path, door.path.with_name(door.path.name + ".wal")):
                path.unlink(missing_ok=True)
        raise
    message = f"{'Đã tạo' if new else 'Đã cập nhật'} {door.path}: {done['area'] or 'chưa đặt tên địa bàn'}"
    if done["plans"]:
        message += f", kế hoạch «{'», «'.join(done['plans'])}», {fmt.number(done['units'])} đơn vị"
    if args.demo:
        (y0, m0), (y1, m1) = done["months"]
        message += f", {fmt.number(done['rows'])} dòng {DEMO_LABEL.lower()} ({m0}/{y0}–{m1}/{y1})"
    print(message)
    return 0


def _ranking(door: Service, args) -> int:
    period = Period.parse(args.period, args.scope)
    card = door.scorecard(period)
    groups = card.sums["group"].unique().tolist()
    if args.group and args.group not in groups:
        raise ValueError(f"Không có nhóm {args.group!r}; các nhóm: {', '.join(groups)}")
    contract = scorecard.to_contract(card, args.kpi, args.group)
    if args.format == "json":
        print(json.dumps(contract, ensure_ascii=False, indent=2))
    elif args.format == "csv":  # formula-safe, as every export: a unit named "=…" stays text
        sys.stdout.write(exports.to_csv(_flat(contract)).decode("utf-8-sig"))
    else:
        print(_table(card, contract, args.group))
    return 0


def _import(door: Service, args) -> int:
    """Check every file, against the database and against each other; then store all of them in one
    transaction, or none."""
    period = Period.parse(args.period) if args.period else None
    ready, seen, added = [], {}, set()
    for path in args.files:
        if not path.is_file():
            raise ValueError(f"Không có tệp {path}")
        prepared = door.prepare(path.name, path.read_bytes())
        if prepared.already_imported:
            raise ValueError(prepared.already_imported)
        if prepared.errors:
            raise ValueError("\n".join(prepared.errors))
        month = (period.year, period.month) if period else prepared.title_period
        if month is None:
            raise ValueError(f"Tệp {path.name}: tiêu đề không ghi tháng báo cáo; hãy chỉ rõ bằng --period NNNN-TT.")
        skip = {name for name in prepared.unknown if name in args.skip}
        unknown = [name for name in prepared.unknown if name not in skip]
        if unknown and not args.add_units:
            raise ValueError(f"Tệp {path.name} có {fmt.number(len(unknown))} tên chưa có trong danh sách đơn vị:\n"
                             + "\n".join(f"  dòng {row}: {name}" for row, name in zip(
                                 prepared.rows.loc[prepared.rows["name"].isin(unknown) & prepared.rows["unit"].isna(),
                                                   "row"], unknown))
                             + "\nDùng --add-units để thêm thành đơn vị mới, --skip TÊN để bỏ qua dòng, hoặc ghép "
                               "tên với đơn vị đã có trên trang «Nhập dữ liệu» (hay bằng lệnh alias).")
        if prepared.warnings and not args.yes:
            raise ValueError("\n".join(prepared.warnings) + "\nCó cảnh báo; dùng --yes để vẫn nhập.")
        unit = None
        if prepared.by_field:
            unit = door.unit_named(args.unit) if args.unit else prepared.title_unit
            if unit is None:
                raise ValueError(f"Tệp {path.name} là báo cáo theo lĩnh vực của một đơn vị; tiêu đề không ghi đơn vị "
                                 "nào: hãy chỉ rõ bằng --unit TÊN.")
        units = prepared.counts(month, {n: n for n in unknown}, skip, unit)["unit"].tolist()
        stored = door.stored_months(units, *month)
        if stored and not args.replace:
            raise ValueError(f"Tệp {path.name}: đã có số liệu tháng {month[1]}/{month[0]} của {', '.join(stored)}. "
                             f"Dùng --replace để thay thế.")
        for unit in units:  # two files of this batch giving the same unit's month: which one is right?
            other = seen.setdefault((unit, month), (len(ready), path))
            if other[0] != len(ready):
                raise ValueError(f"Tệp {other[1]} và tệp {path} cùng có số liệu tháng {month[1]}/{month[0]} của "
                                 f"{unit}; không nhập tệp nào. Hãy bỏ một tệp.")
        # a unit new to the database is added by the first file that has it; the next ones find it there
        new_units = {name: prepared.groups[name] for name in unknown if name not in added}
        added.update(unknown)
        ready.append(dict(prepared=prepared, period=month, new_units=new_units, replace=args.replace,
                          accept_warnings=args.yes, mapping={n: n for n in unknown if n not in new_units}, skip=skip,
                          unit=unit))
    for item, result in zip(ready, door.commit_all(ready)):
        prepared, month, new_units = item["prepared"], item["period"], item["new_units"]
        notes = [f"thay thế {fmt.number(result['replaced'])} dòng" if result["replaced"] else "",
                 f"thêm {fmt.number(len(new_units))} đơn vị" if new_units else "",
                 f"bỏ qua {fmt.number(len(item['skip']))} dòng" if item["skip"] else "",
                 f"{fmt.number(len(prepared.rows))} lĩnh vực của {item['unit'] or prepared.title_unit}"
                 if prepared.by_field else "",
                 f"chấp nhận {fmt.number(len(prepared.warnings))} cảnh báo" if prepared.warnings else "",
                 "đã xoá dữ liệu mẫu" if result["sample_removed"] else ""]
        extra = "; ".join(n for n in notes if n)
        window = f" (kỳ báo cáo {prepared.window_label})" if prepared.window and month == prepared.title_period else ""
        print(f"Đã nhập {prepared.file_name}: tháng {month[1]}/{month[0]}{window}, {fmt.number(result['units'])} đơn vị, "
              f"{fmt.number(result['rows'])} dòng "
              f"(lần nhập số {result['import_id']}{'; ' + extra if extra else ''}).")
    return 0


def _imports(door: Service, args) -> int:
    history = door.imports()
    if history.empty:
        print("Chưa có lần nhập nào.")
        return 0
    table = ingest.history_table(history)
    print(table.to_string(index=False))
    return 0


def _undo(door: Service, args) -> int:
    print(ingest.undo_summary(args.import_id, door.undo_import(args.import_id)))
    return 0


def _report(door: Service, args) -> int:
    from kpi import reports

    if not any([args.xlsx, args.pptx, args.docx, args.png]):
        raise ValueError("Hãy chọn ít nhất một đầu ra: --xlsx, --pptx, --docx hoặc --png")
    report = door.report(Period.parse(args.period, args.scope))
    written = []
    for path, make in ((args.xlsx, reports.to_xlsx), (args.pptx, reports.to_pptx), (args.docx, reports.to_docx)):
        if path:
            path.write_bytes(make(report))
            written.append(str(path))
    if args.png:
        written += [str(p) for p in reports.write_pngs(report, args.png)]
    print(f"Đã ghi báo cáo {report.period.label}: " + ", ".join(written))
    return 0


def _plan_list(door: Service, args) -> int:
    plans = door.plans()
    if plans.empty:
        print("Chưa có kế hoạch nào. Nhập Phụ lục 1: python -m kpi plan import TỆP.xlsx")
        return 0
    print(plan.plans_table(plans).to_string(index=False))
    for year in plan.years_without_plan(plans, door.months()):
        print(plan.no_plan(year) + ": các tỷ lệ của năm này không được đánh giá đạt / chưa đạt.")
    return 0


def _plan_import(door: Service, args) -> int:
    if not args.file.is_file():
        raise ValueError(f"Không có tệp {args.file}")
    read = plan.read(args.file.name, args.file.read_bytes(), year=args.year, name=args.name,
                     area=door.area()["name"])
    _, stored = door.save_plan(read, replace=args.replace)
    for note in stored.notes:
        print(note)
    print(f"Đã nhập «{stored.name}» ({door.area()['name']}, năm {stored.year}): {fmt.number(len(stored.units))} đơn "
          f"vị, {fmt.number(len(stored.targets))} chỉ tiêu; kế hoạch này đánh giá các kỳ của năm {stored.year}.")
    return 0


def _plan_export(door: Service, args) -> int:
    from kpi import appendix

    year = args.year or _latest_plan_year(door)
    args.file.write_bytes(appendix.write(door.plan(year)))
    print(f"Đã ghi Phụ lục 1 năm {year}: {args.file}")
    return 0


def _plan_copy(door: Service, args) -> int:
    to_year = args.to_year or args.year + 1
    stored = door.copy_plan(args.year, to_year, replace=args.replace)
    print(f"Đã chép kế hoạch năm {args.year} sang năm {to_year}: «{stored.name}», "
          f"{fmt.number(len(stored.targets))} chỉ tiêu. Sửa chỉ tiêu cho năm {to_year} trên trang «Chỉ tiêu».")
    return 0


def _year_plan(door: Service, year: int) -> dict:
    """The plan of a year (Store.plan_of_year), or that the year has none."""
    found = door.plan_of_year(year)
    if found is None:
        raise ValueError(plan.no_plan(year) + ".")
    return found


def _plan_define(door: Service, args) -> int:
    chosen_plan = _year_plan(door, args.year)
    if args.kpi and args.variant:
        door.set_definition(chosen_plan["plan_id"], args.kpi, args.variant)
    chosen = door.definitions(chosen_plan["plan_id"])
    print(f"Cách tính trong «{chosen_plan['name']}» (* đang dùng):")
    for kpi in measures.CATALOGUE:
        if args.kpi and kpi.key != args.kpi:
            continue
        current = chosen.get(kpi.key, kpi.default_variant)
        for name, ratio in kpi.variants.items():
            mark = "*" if name == current else " "
            print(f"{mark} {kpi.key} {name}: {kpi.label} = {ratio.note}")
    return 0


def _plan_delete(door: Service, args) -> int:
    chosen = _year_plan(door, args.year)
    door.delete_plan(chosen["plan_id"])
    print(f"Đã xoá «{chosen['name']}». Các kỳ của năm {args.year} không còn được đánh giá đạt / chưa đạt.")
    return 0


def _latest_plan_year(door: Service) -> int:
    plans = door.plans()
    if plans.empty:
        raise ValueError("Chưa có kế hoạch nào.")
    return int(plans["year"].max())


def _month(text: str) -> int:
    period = Period.parse(text)
    return roster.month_key(period.year, period.month)


def _unit_list(door: Service, args) -> int:
    units, aliases = door.units(), door.aliases()
    table = roster.units_table(units, aliases, every=args.all)
    print(table.to_string(index=False) if not table.empty else "Chưa có đơn vị nào.")
    return 0


def _unit_add(door: Service, args) -> int:
    since = _month(args.since) if args.since else None
    door.add_unit(args.name.strip(), args.group.strip(), since)
    print(f"Đã thêm đơn vị «{args.name.strip()}» vào nhóm «{args.group.strip()}»"
          + (f", hoạt động từ tháng {roster.month_text(since)}." if since else "."))
    return 0


def _unit_rename(door: Service, args) -> int:
    from kpi.ingest import names

    new_name = args.new_name.strip()
    old_key = names.key(args.name)
    door.rename_unit(args.name, new_name, old_key if old_key != names.key(new_name) else None)
    print(f"Đã đổi tên «{args.name}» thành «{new_name}»; số liệu và chỉ tiêu giữ nguyên, tệp ghi tên cũ vẫn nhận ra.")
    return 0


def _unit_regroup(door: Service, args) -> int:
    year = args.year or (_latest_plan_year(door) if not door.plans().empty else None)
    changed = door.regroup_unit(args.name, args.group.strip(), year)
    print(f"Đã chuyển «{args.name}» sang nhóm «{args.group.strip()}»"
          + (f" (trong {changed} kế hoạch từ năm {year})." if changed else "."))
    return 0


def _unit_retire(door: Service, args) -> int:
    since = _month(args.since)
    door.retire_unit(args.name, since)
    print(f"«{args.name}» thôi hoạt động từ tháng {roster.month_text(since)}; số liệu trước đó giữ nguyên.")
    return 0


def _unit_merge(door: Service, args) -> int:
    since = _month(args.since)
    new = door.merge_units(args.parts, args.into.strip(), since, args.group)
    print(f"Đã gộp {', '.join(f'«{p}»' for p in args.parts)} thành «{args.into.strip()}»"
          + (" (đơn vị mới)" if new else "") + f" từ tháng {roster.month_text(since)}; so sánh với các kỳ trước "
          f"tính trên số liệu cộng lại của các đơn vị được gộp.")
    return 0


def _unit_restore(door: Service, args) -> int:
    door.restore_unit(args.name)
    print(f"«{args.name}» hoạt động trở lại, với số liệu riêng của mình.")
    return 0


def _unit_alias(door: Service, args) -> int:
    from kpi.ingest import names

    if args.action == "list":
        aliases = door.aliases()
        print(aliases[["written", "unit", "alias"]].rename(columns={
            "written": "Tên khác", "unit": "Đơn vị", "alias": "Dạng so khớp"}).to_string(index=False)
              if not aliases.empty else "Chưa có tên khác nào.")
        return 0
    if not args.alias:
        raise ValueError("Cần TÊN_KHÁC.")
    if args.action == "add":
        if not args.unit:
            raise ValueError("Cần ĐƠN_VỊ mà tên khác chỉ tới.")
        door.set_alias(names.key(args.alias), args.unit, args.alias.strip())
        print(f"Từ nay tệp ghi «{args.alias}» được hiểu là «{args.unit}».")
    elif door.remove_alias(names.key(args.alias)) or door.remove_alias(args.alias):
        print(f"Đã bỏ tên khác «{args.alias}».")
    else:
        raise ValueError(f"Không có tên khác «{args.alias}».")
    return 0


def _password(name: str) -> str:
    """Asked twice at a terminal, without echo; read as one line when piped. Never an argument."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"Mật khẩu cho {name}: ")
    if getpass.getpass("Nhập lại mật khẩu: ") != first:
        raise ValueError("Hai lần nhập mật khẩu không giống nhau.")
    return first


def _user_list(door: Service, args) -> int:
    users = door.users()
    if users.empty:
        print("Chưa có người dùng nào. Thêm quản trị viên: python -m kpi user add TÊN --role admin")
        return 0
    print(pd.DataFrame({
        "Tên đăng nhập": users["name"], "Vai trò": users["role"].map(ROLES),
        "Trạng thái": users["disabled"].map({True: "đã khoá", False: "hoạt động"}),
        "Đăng nhập bằng": users["has_password"].map({True: "mật khẩu", False: "đăng nhập một lần"}),
    }).to_string(index=False))
    return 0


def _user_add(door: Service, args) -> int:
    name = door.add_user(args.name, args.role, None if args.sso else _password(args.name))
    print(f"Đã thêm «{name}», vai trò {ROLES[args.role]}.")
    return 0


def _user_passwd(door: Service, args) -> int:
    door.set_password(args.name, _password(args.name))
    print(f"Đã đặt mật khẩu mới cho «{args.name}».")
    return 0


def _user_role(door: Service, args) -> int:
    door.set_role(args.name, args.role)
    print(f"«{args.name}» từ nay có vai trò {ROLES[args.role]}.")
    return 0


def _user_disable(door: Service, args) -> int:
    door.set_disabled(args.name, args.disabled)
    print(f"Đã {'khoá' if args.disabled else 'mở khoá'} tài khoản «{args.name}».")
    return 0


def _setting(door: Service, args) -> int:
    if args.key and args.value:
        door.set_setting(args.key, args.value == "on")
    for key, value in door.settings().items():
        if not args.key or key == args.key:
            print(f"{key} = {'on' if value else 'off'}  ({SETTINGS[key][0]})")
    return 0


def _flat(contract: dict) -> pd.DataFrame:
    """One row per unit: unit, group, rank and, per KPI, its fields as KPI_field columns."""
    rows = []
    for unit in contract["units"]:
        row = {"unit": unit["unit"], "group": unit["group"], "rank": unit["rank"]}
        for key, values in unit["kpis"].items():
            row.update({f"{key}_{field}": value for field, value in values.items()})
        rows.append(row)
    return pd.DataFrame(rows).astype({"rank": "Int64"})


def _table(card: scorecard.Scorecard, contract: dict, group: str | None) -> str:
    kpi = contract["kpi"]
    lines = [f"{measures.get(kpi).label} — {card.period.label} — {card.plan_name}"]
    if card.sample:
        lines.append(f"({DEMO_LABEL})")
    ahead = card.ahead(kpi)
    text = scorecard.ranking_text(card.ranking(kpi, group), ahead)
    text = text[["Hạng", "Đơn vị", "Tử số", "Mẫu số", "Tỷ lệ", "Chỉ tiêu", "Đánh giá", scorecard.needed_heading(kpi),
                 *([ahead.heading] if ahead else [])]]
    lines.append(text.to_string(index=False) if len(text) else
                 "Chưa có đơn vị nào.")
    area = contract["area"][kpi]
    verdict = {True: "đạt", False: "chưa đạt", None: "không đánh giá"}[area["met"]]
    lines.append(f"Toàn bộ: {fmt.number(area['numerator'])}/{fmt.number(area['denominator'])} = "
                 f"{fmt.percent(area['rate'])}; chỉ tiêu {area['target'] or fmt.MISSING}: {verdict}")
    if len(text):
        lines.append(scorecard.needed_help(kpi, card.definitions) + (" " + ahead.help if ahead else ""))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
