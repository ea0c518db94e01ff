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

from kpi import demo, fmt, ingest, measures, plan, scorecard, setup
from kpi.periods import SCOPES, Period
from kpi.store import DEMO_LABEL, Store, StoreError


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    store = Store(args.db)
    try:
        return args.run(store, args)
    except (StoreError, ValueError, RuntimeError) as error:  # RuntimeError: reports.ChartImageError
        print(f"Lỗi: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m kpi", description="Chỉ số dịch vụ công trực tuyến (dvc-kpi)")
    parser.add_argument("--db", type=Path, help="tệp cơ sở dữ liệu (mặc định: $KPI_DB hoặc data/kpi.duckdb)")
    commands = parser.add_subparsers(required=True, metavar="LỆNH")

    init = commands.add_parser("init", help="tạo cơ sở dữ liệu, nạp kế hoạch (Phụ lục 1)")
    init.add_argument("--demo", action="store_true", help="nạp dữ liệu mẫu 01/2023–12/2024")
    init.add_argument("--plan", type=Path, default=plan.SHIPPED_PLAN, help="tệp kế hoạch (.toml)")
    init.set_defaults(run=_init)

    ranking = commands.add_parser("ranking", help="xếp hạng đơn vị theo một chỉ tiêu")
    ranking.add_argument("--period", required=True, help="tháng cuối kỳ, dạng NNNN-TT, ví dụ 2024-06")
    ranking.add_argument("--scope", choices=list(SCOPES), default="month")
    ranking.add_argument("--kpi", choices=list(measures.KPIS), default="online")
    ranking.add_argument("--group", help="chỉ một nhóm đơn vị, ví dụ 'Một cửa cấp xã'")
    ranking.add_argument("--plan", type=int, dest="plan_id", help="mã kế hoạch (mặc định: kế hoạch của năm)")
    ranking.add_argument("--format", choices=["table", "csv", "json"], default="table")
    ranking.set_defaults(run=_ranking)

    load = commands.add_parser("import", help="nhập báo cáo tháng từ Hệ thống một cửa điện tử (.xlsx, .xls, .csv)")
    load.add_argument("files", nargs="+", type=Path, metavar="TỆP")
    load.add_argument("--period", help="tháng của số liệu, NNNN-TT (mặc định: đọc từ tiêu đề tệp)")
    load.add_argument("--replace", action="store_true", help="thay thế số liệu đã có của cùng đơn vị, cùng tháng")
    load.add_argument("--yes", action="store_true", help="chấp nhận các cảnh báo (không bao giờ bỏ qua lỗi)")
    load.add_argument("--add-units", action="store_true", help="thêm các đơn vị chưa có trong danh sách")
    load.add_argument("--by", default=getpass.getuser(), help="người nhập (mặc định: tài khoản máy)")
    load.set_defaults(run=_import)

    history = commands.add_parser("imports", help="lịch sử các lần nhập")
    history.set_defaults(run=_imports)

    undo = commands.add_parser("undo", help="hoàn tác một lần nhập, khôi phục số liệu nó đã thay thế")
    undo.add_argument("import_id", type=int, metavar="SỐ")
    undo.set_defaults(run=_undo)

    report = commands.add_parser("report", help="báo cáo của một kỳ: Excel, PowerPoint, Word, ảnh PNG")
    report.add_argument("--period", required=True, help="tháng cuối kỳ, dạng NNNN-TT")
    report.add_argument("--scope", choices=list(SCOPES), default="month")
    report.add_argument("--plan", type=int, dest="plan_id", help="mã kế hoạch (mặc định: kế hoạch của năm)")
    report.add_argument("--xlsx", type=Path, help="tệp Excel")
    report.add_argument("--pptx", type=Path, help="tệp PowerPoint")
    report.add_argument("--docx", type=Path, help="tệp Word")
    report.add_argument("--png", type=Path, metavar="THƯ_MỤC", help="thư mục ảnh biểu đồ")
    report.set_defaults(run=_report)

    setting = commands.add_parser("setting", help="xem hoặc chọn cách tính (mẫu số) của một chỉ tiêu")
    setting.add_argument("kpi", nargs="?", choices=list(measures.KPIS))
    setting.add_argument("variant", nargs="?", metavar="CÁCH_TÍNH")
    setting.set_defaults(run=_setting)
    return parser


def _init(store: Store, args) -> int:
    loaded, rows = setup.initialise(store, args.plan, args.demo)
    message = f"Đã tạo {store.path}: kế hoạch «{loaded['name']}», {len(loaded['units'])} đơn vị"
    if args.demo:
        (y0, m0), (y1, m1) = demo.MONTHS[0], demo.MONTHS[-1]
        message += f", {fmt.number(rows)} dòng {DEMO_LABEL.lower()} ({m0}/{y0}–{m1}/{y1})"
    print(message)
    return 0


def _ranking(store: Store, args) -> int:
    period = Period.parse(args.period, args.scope)
    card = scorecard.build(store, period, args.plan_id)
    groups = card.units["group"].unique().tolist()
    if args.group and args.group not in groups:
        raise ValueError(f"Không có nhóm {args.group!r}; các nhóm: {', '.join(groups)}")
    contract = scorecard.to_contract(card, args.kpi, args.group)
    if args.format == "json":
        print(json.dumps(contract, ensure_ascii=False, indent=2))
    elif args.format == "csv":
        _flat(contract).to_csv(sys.stdout, index=False)
    else:
        print(_table(card, contract, args.group))
    return 0


def _import(store: Store, args) -> int:
    """Check every file first; store them only when all can be stored."""
    store.migrate()
    period = Period.parse(args.period) if args.period else None
    ready = []
    for path in args.files:
        if not path.is_file():
            raise ValueError(f"Không có tệp {path}")
        prepared = ingest.prepare(path.name, path.read_bytes(), store)
        if prepared.already_imported:
            raise ValueError(prepared.already_imported)
        if prepared.errors:
            raise ValueError("\n".join(prepared.errors))
        month = (period.year, period.month) if period else prepared.title_period
        if month is None:
            raise ValueError(f"Tệp {path.name}: tiêu đề không ghi tháng báo cáo; hãy chỉ rõ bằng --period NNNN-TT.")
        if prepared.unknown and not args.add_units:
            raise ValueError(f"Tệp {path.name} có đơn vị chưa có trong danh sách: {', '.join(prepared.unknown)}. "
                             f"Dùng --add-units để thêm, hoặc ghép tên trên trang «Nhập dữ liệu».")
        if prepared.warnings and not args.yes:
            raise ValueError("\n".join(prepared.warnings) + "\nCó cảnh báo; dùng --yes để vẫn nhập.")
        stored = store.stored_months(prepared.counts(month, {n: n for n in prepared.unknown})["unit"].tolist(), *month)
        if stored and not args.replace:
            raise ValueError(f"Tệp {path.name}: đã có số liệu tháng {month[1]}/{month[0]} của {', '.join(stored)}. "
                             f"Dùng --replace để thay thế.")
        ready.append((path, prepared, month))
    for path, prepared, month in ready:
        new_units = {name: prepared.groups[name] for name in prepared.unknown}
        result = prepared.commit(store, month, new_units=new_units, replace=args.replace, accept_warnings=args.yes,
                                 imported_by=args.by)
        notes = [f"thay thế {fmt.number(result['replaced'])} dòng" if result["replaced"] else "",
                 f"thêm {fmt.number(len(new_units))} đơn vị" if new_units else "",
                 f"chấp nhận {fmt.number(len(prepared.warnings))} cảnh báo" if prepared.warnings else "",
                 "đã xoá dữ liệu mẫu" if result["sample_removed"] else ""]
        extra = "; ".join(n for n in notes if n)
        print(f"Đã nhập {path.name}: tháng {month[1]}/{month[0]}, {fmt.number(result['units'])} đơn vị, "
              f"{fmt.number(result['rows'])} dòng "
              f"(lần nhập số {result['import_id']}{'; ' + extra if extra else ''}).")
    return 0


def _imports(store: Store, args) -> int:
    history = store.imports()
    if history.empty:
        print("Chưa có lần nhập nào.")
        return 0
    table = ingest.history_table(history)
    print(table.to_string(index=False))
    return 0


def _undo(store: Store, args) -> int:
    print(ingest.undo_summary(args.import_id, store.undo_import(args.import_id)))
    return 0


def _report(store: Store, args) -> int:
    from kpi import reports

    if not any([args.xlsx, args.pptx, args.docx, args.png]):
        raise ValueError("Hãy chọn ít nhất một đầu ra: --xlsx, --pptx, --docx hoặc --png")
    report = reports.build(store, Period.parse(args.period, args.scope), args.plan_id)
    written = []
    for path, make in ((args.xlsx, reports.to_xlsx), (args.pptx, reports.to_pptx), (args.docx, reports.to_docx)):
        if path:
            path.write_bytes(make(report))
            written.append(str(path))
    if args.png:
        written += [str(p) for p in reports.write_pngs(report, args.png)]
    print(f"Đã ghi báo cáo {report.period.label}: " + ", ".join(written))
    return 0


def _setting(store: Store, args) -> int:
    if args.kpi and args.variant:
        store.set_setting(args.kpi, args.variant)
    chosen = store.settings()
    for kpi in measures.CATALOGUE:
        if args.kpi and kpi.key != args.kpi:
            continue
        current = chosen.get(kpi.key, kpi.default_variant)
        for name, ratio in kpi.variants.items():
            mark = "*" if name == current else " "
            print(f"{mark} {kpi.key} {name}: {kpi.label} = {ratio.note}")
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
    lines = [f"{measures.get(kpi).label} — {card.period.label} — {card.plan['name']}"]
    if card.sample:
        lines.append(f"({DEMO_LABEL})")
    text = scorecard.ranking_text(card.ranking(kpi, group))
    text = text[["Hạng", "Đơn vị", "Tử số", "Mẫu số", "Tỷ lệ", "Chỉ tiêu", "Đánh giá", "Cần thêm (hồ sơ)"]]
    lines.append(text.rename(columns={"Cần thêm (hồ sơ)": "Cần thêm"}).to_string(index=False))
    area = contract["area"][kpi]
    verdict = {True: "đạt", False: "chưa đạt", None: "không đánh giá"}[area["met"]]
    lines.append(f"Toàn bộ: {fmt.number(area['numerator'])}/{fmt.number(area['denominator'])} = "
                 f"{fmt.percent(area['rate'])}; chỉ tiêu {area['target'] or fmt.MISSING}: {verdict}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
