"""Monthly import: read a one-stop export, recognise it, check it, match its units, then store
it in one transaction. `prepare` never writes; `commit` writes all or nothing."""
from __future__ import annotations

import hashlib
import logging
import io
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

import pandas as pd
import pyarrow as pa

from kpi import fmt, measures, text
from kpi.ingest import checks, isolation, layout, names
from kpi.ingest.checks import ERROR, WARNING, Problem
from kpi.ingest.readers import InputError, Limits
from kpi.store import Store, StoreError

OTHER_GROUP = "Đơn vị khác"
SHORTEST_WINDOW = 28  # days: February; a shorter window is a part of a month
MOST_FIELDS = 200  # rows of a report by field (lĩnh vực) of one unit, at most

__all__ = ["InputError", "Limits", "Prepared", "prepare", "template", "ERROR", "WARNING", "Problem"]


@dataclass
class Prepared:
    """A file read and checked, not yet stored."""

    file_name: str
    sha256: str
    sheet: str
    title_period: tuple[int, int] | None  # the month the title names
    rows: pd.DataFrame  # name, section, row, unit (matched, or NA), *COUNTS
    problems: list[Problem]
    ignored_columns: list[str]
    columns: list[str]  # the count fields the file gives
    earlier_import: pd.Series | None = None  # an import of the very same bytes
    groups: dict[str, str] = field(default_factory=dict)  # unknown name -> group suggested for it
    window: tuple[date, date] | None = None  # the reporting window the title gives ("21/09–20/10/2025")
    by_field: bool = False  # rows are fields (lĩnh vực) of one unit's month, not units
    title_unit: str | None = None  # the unit the title names (a report by field)

    @property
    def window_label(self) -> str | None:
        return None if self.window is None else fmt.window_label(*self.window)

    @property
    def errors(self) -> list[str]:
        return [p.message for p in self.problems if p.level == ERROR]

    @property
    def warnings(self) -> list[str]:
        return [p.message for p in self.problems if p.level == WARNING]

    @property
    def already_imported(self) -> str | None:
        """Why these very bytes are not imported again, or None."""
        earlier = self.earlier_import
        if earlier is None:
            return None
        return (f"Tệp {self.file_name} đã được nhập (lần nhập số {earlier['import_id']}, tệp {earlier['file_name']}, "
                f"{earlier['imported_at']:%d/%m/%Y %H:%M}); không nhập lại.")

    @property
    def unknown(self) -> list[str]:
        """Names in the file that match no unit, in file order (none in a report by field)."""
        return [] if self.by_field else self.rows.loc[self.rows["unit"].isna(), "name"].tolist()

    def _unit_of_fields(self, unit: str | None) -> str:
        unit = unit or self.title_unit
        if unit is None:
            raise InputError(f"Tệp {self.file_name} là báo cáo theo lĩnh vực của một đơn vị nhưng tiêu đề không ghi "
                             "đơn vị nào: hãy chọn đơn vị (dòng lệnh: --unit TÊN).")
        return unit

    def field_rows(self, period: tuple[int, int], unit: str | None = None,
                   skip: frozenset[str] | set[str] = frozenset()) -> pd.DataFrame:
        """A report by field as [unit, year, month, field, *COUNTS], a row per field."""
        rows = self._kept(skip)
        frame = rows[list(measures.COUNTS)].copy()
        frame.insert(0, "unit", self._unit_of_fields(unit))
        frame.insert(1, "year", period[0])
        frame.insert(2, "month", period[1])
        frame.insert(3, "field", rows["name"].to_numpy())
        return frame.reset_index(drop=True)

    def counts(self, period: tuple[int, int], mapping: dict[str, str] | None = None,
               skip: frozenset[str] | set[str] = frozenset(), unit: str | None = None) -> pd.DataFrame:
        """[unit, year, month, *COUNTS] with unknown names resolved by `mapping` (name -> unit), and the
        rows of the unknown names in `skip` left out (a subtotal, a unit of another area). A report by
        field gives one row: `unit` (or the title's unit), its fields summed."""
        if self.by_field:
            fields = self.field_rows(period, unit, skip)
            summed = {c: fields[c].sum(min_count=1) for c in measures.COUNTS}  # a count no field gives stays NA
            frame = pd.DataFrame([{"unit": fields["unit"].iloc[0], "year": period[0], "month": period[1], **summed}])
            return frame.astype({c: "Int64" for c in measures.COUNTS})
        mapping = mapping or {}
        rows = self._kept(skip)
        units = rows["unit"].astype("object")
        unknown = units.isna().to_numpy()
        if unknown.any():
            units[unknown] = [mapping.get(name) for name in rows.loc[unknown, "name"].tolist()]
        if units.isna().any():
            missing = rows.loc[units.isna(), "name"].tolist()
            raise InputError(f"Tệp {self.file_name}: chưa xác định đơn vị cho {', '.join(missing)}.")
        frame = rows[list(measures.COUNTS)].copy()
        frame.insert(0, "unit", units.to_numpy())
        frame.insert(1, "year", period[0])
        frame.insert(2, "month", period[1])
        duplicated = frame["unit"].duplicated(keep=False)
        if duplicated.any():
            listed = [f"{u} (dòng {', '.join(str(r) for r in rows.loc[(frame['unit'] == u).to_numpy(), 'row'])})"
                      for u in frame.loc[duplicated, "unit"].unique()]
            raise InputError(f"Tệp {self.file_name}, trang «{self.sheet}»: đơn vị có hai dòng: {'; '.join(listed)}.")
        return frame

    def _kept(self, skip) -> pd.DataFrame:
        if not skip:
            return self.rows
        return self.rows[~(self.rows["unit"].isna() & self.rows["name"].isin(list(skip)))]

    def instead(self, definitions: dict[str, str] | None = None) -> list[measures.Instead]:
        """KPIs the plan's definition cannot compute from this file while another definition can."""
        return measures.allowed_instead(set(self.columns), definitions)

    def unavailable(self, definitions: dict[str, str] | None = None) -> list[str]:
        """Notes on the always-shown KPIs this file gives no counts for under the chosen variants, nor
        under any other (those another definition can compute are said by `instead`)."""
        notes = []
        other = {i.kpi.key for i in self.instead(definitions)}
        for key in measures.ALWAYS_SHOWN:
            kpi = measures.get(key)
            ratio = kpi.ratio(definitions)
            missing = [measures.COUNTS[c] for c in (*ratio.numerator, *ratio.denominator) if c not in self.columns]
            if missing and key not in other:
                notes.append(f"Tệp không có cột {', '.join(f'«{m}»' for m in missing)}: «{kpi.label}» "
                             f"({ratio.note}) sẽ không có số liệu tháng này.")
        return notes

    def preview(self, period: tuple[int, int], mapping: dict[str, str] | None = None,
                definitions: dict[str, str] | None = None, skip: frozenset[str] | set[str] = frozenset(),
                unit: str | None = None) -> pd.DataFrame:
        """What each row will store and the rates the unit (or, by field, the field) will get for the
        month: row, name, unit, received, online, cashless, on-time (numerator, denominator, rate each)."""
        if self.by_field:
            counts = self.field_rows(period, unit, skip)
            rated = counts.assign(unit=counts["field"])
        else:
            counts = rated = self.counts(period, mapping, skip)
        shown = [measures.get(k) for k in ("online", "cashless", "ontime")]
        rates = measures.rates(rated, ["unit"], definitions, tuple(shown))
        wide = rates.pivot(index="unit", columns="kpi", values=["numerator", "denominator", "rate"])
        wide.columns = [f"{kpi}_{value}" for value, kpi in wide.columns]
        out = self._kept(skip)[["row", "name"]].assign(unit=counts["unit"].to_numpy(), key=rated["unit"].to_numpy(),
                                                        received=counts["received"].to_numpy())
        return out.merge(wide, left_on="key", right_index=True, how="left").drop(columns="key")

    def commit(self, store: Store, period: tuple[int, int], *, mapping: dict[str, str] | None = None,
               new_units: dict[str, str] | None = None, replace: bool = False, accept_warnings: bool = False,
               imported_by: str | None = None, skip: frozenset[str] | set[str] = frozenset(),
               unit: str | None = None) -> dict:
        """Store the file. mapping: unknown name -> existing unit; new_units: unknown name -> group
        of a unit to add under that name (both remembered as aliases); skip: unknown names whose rows
        are not stored; unit: the unit of a report by field (else the title's)."""
        if self.already_imported:
            raise InputError(self.already_imported)
        if self.errors:
            raise InputError("\n".join(self.errors))
        if self.warnings and not accept_warnings:
            raise InputError("\n".join(self.warnings) + "\nCó cảnh báo; hãy xem lại và xác nhận để vẫn nhập.")
        new_units = new_units or {}
        resolved = {**(mapping or {}), **{name: name for name in new_units}}
        counts = self.counts(period, resolved, skip, unit)
        if counts.empty:
            raise InputError(f"Tệp {self.file_name}: mọi dòng đều được bỏ qua; không có gì để nhập.")
        window = self.window if self.window and tuple(period) == self.title_period else None
        return store.import_counts(
            counts, file_name=self.file_name, sha256=self.sha256, imported_by=imported_by, replace=replace,
            window=window, fields=self.field_rows(period, unit, skip) if self.by_field else None,
            new_units=pd.DataFrame({"unit": list(new_units), "group": list(new_units.values())}),
            aliases=_aliases(mapping or {}),
            alias_names={names.key(name): name for name in (mapping or {})})


start_readers = isolation.start  # before an upload: the parsers loaded while the person picks a file


def prepare(file_name: str, data: bytes, store: Store, limits: Limits | None = None,
            progress: Callable[[float, str], None] | None = None) -> Prepared:
    """Read, recognise, extract, check and match; InputError when the file cannot be read at all,
    whatever failed on the way (the details of an unexpected failure go to the log, not the user)."""
    try:
        return _prepare(file_name, data, store, limits, progress)
    except (InputError, StoreError):
        raise
    except Exception as error:  # noqa: BLE001 - the importer's edge: a file never ends in a traceback
        logging.getLogger("dvc-kpi").exception("import of %s failed", file_name)
        raise InputError(f"Tệp {file_name} không đọc được: nội dung không như một báo cáo tháng. Hãy kiểm tra lại "
                         "tệp, hoặc gửi tệp cho quản trị viên (chi tiết đã ghi ở nhật ký của máy chủ).") from error


def _prepare(file_name: str, data: bytes, store: Store, limits: Limits | None,
             progress: Callable[[float, str], None] | None) -> Prepared:
    say = progress or (lambda fraction, text: None)
    say(0.05, "Đang đọc tệp…")
    # a second thread (Arrow and the parsers let go of the GIL): the units known and an earlier import of these
    # bytes while the file is parsed (here, when this thread holds the file: that read would wait for it), then
    # the names' keys while the counts are read; a refused file does not wait for them
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        if store.holds_file():
            known = Future()
            known.set_result(_known(store, data))
        else:
            known = pool.submit(_known, store, data)
        sheets = isolation.read(file_name, data, limits)  # in a worker process: a parser's crash stays there
        say(0.4, "Đang nhận dạng tiêu đề…")
        found, first_error = None, None
        for sheet in sheets:
            try:
                found = layout.recognise(sheet, file_name)
                break
            except InputError as error:
                first_error = first_error or error
        if found is None:
            raise first_error or InputError(f"Tệp {file_name} không có trang nào.")
        title = layout.period_from_title(found.sheet, found.header_rows.start, file_name)
        say(0.5, "Đang đọc số liệu…")
        keyed = pool.submit(names.keys, found.name_cells())
        extracted = checks.extract(found, file_name, lambda f: say(0.5 + 0.4 * f, "Đang đọc số liệu…"))
        if extracted.rows.empty:
            raise InputError(f"Tệp {file_name}, trang «{found.sheet.name}»: không có dòng đơn vị nào dưới tiêu "
                             f"đề (dòng {found.data_start}).")
        say(0.9, "Đang kiểm tra…")
        problems = extracted.problems + checks.check(extracted, found, file_name)
        sha, units, earlier, matcher = known.result()
        body_keys = keyed.result().to_numpy()
    finally:
        pool.shutdown(wait=False)
    rows = extracted.rows
    rows.insert(3, "key", body_keys[rows["row"].to_numpy() - found.data_start - 1])  # Excel row -> body position
    rows.insert(4, "unit", matcher.match_keys(rows["key"]).to_numpy())
    by_field = _by_field(found, rows)
    title_unit = None
    if by_field:  # the rows are fields of one unit: none of them is a unit
        rows["unit"] = None
        title_unit = _unit_in_title(found, matcher)
    problems += _twice(rows, file_name, found.sheet.name, by_field) + _odd_names(rows, file_name, found.sheet.name)
    if title.stated is not None:
        problems.append(Problem(WARNING, f"Tệp {file_name}: tiêu đề ghi tháng {title.stated[1]}/{title.stated[0]} nhưng "
                                         f"kỳ báo cáo {fmt.window_label(*title.window)} kết thúc trong tháng "
                                         f"{title.period[1]}/{title.period[0]}; số liệu được nhập là của tháng "
                                         f"{title.period[1]}/{title.period[0]} (tháng của ngày cuối kỳ) trừ khi bạn "
                                         "chọn tháng khác."))
    if title.days is not None and title.days < SHORTEST_WINDOW:
        problems.append(Problem(WARNING, f"Tệp {file_name}: kỳ báo cáo trong tiêu đề chỉ có {title.days} ngày "
                                         f"({fmt.window_label(*title.window)}), chưa đủ một tháng; số liệu được "
                                         f"nhập là của tháng {title.period[1]}/{title.period[0]}."))
    prepared = Prepared(file_name, sha, found.sheet.name, title.period, rows, problems, found.ignored,
                        list(found.columns.values()), earlier, {} if by_field else _suggest_groups(rows, units),
                        title.window, by_field, title_unit)
    pa.default_memory_pool().release_unused()  # the sheet's Arrow buffers, freed but kept by the allocator
    say(1.0, "Xong")
    return prepared


def _known(store: Store, data: bytes) -> tuple[str, pd.DataFrame, pd.Series | None, names.Matcher]:
    """The file's SHA-256, the units, an active import of the very same bytes, and the matcher of names."""
    sha = hashlib.sha256(data).hexdigest()
    with store.reading():
        units, aliases, earlier = store.units(), store.aliases(), store.active_import_of(sha)
    return sha, units, earlier, names.Matcher(units, aliases)


def _aliases(mapping: dict[str, str]) -> dict[str, str]:
    """The user's name -> unit choices, by the name's key, to match the name next time."""
    return {names.key(name): unit for name, unit in mapping.items() if names.key(name) != names.key(unit)}


def _twice(rows: pd.DataFrame, file_name: str, sheet: str, by_field: bool = False) -> list[Problem]:
    """A unit (or, by field, a field) listed twice (by the same name or two names of one unit) is an error."""
    who = rows["name"] if by_field else rows["unit"].fillna(rows["key"])
    twice = who.duplicated(keep=False).to_numpy()
    if not twice.any():
        return []
    problems = []
    for unit, lines in rows.loc[twice, "row"].groupby(who[twice].to_numpy(), sort=False):  # once per name, not per row
        problems.append(Problem(ERROR, f"Tệp {file_name}, trang «{sheet}», dòng {', '.join(map(str, lines))}: "
                                       f"{'lĩnh vực' if by_field else 'đơn vị'} {unit} có {len(lines)} dòng."))
    return problems


def _by_field(found: layout.Layout, rows: pd.DataFrame) -> bool:
    """Whether the rows are fields (lĩnh vực) of one unit: the name column says so alone, or no row is
    a unit and most rows name a field."""
    header = found.name_header
    says_unit = any(w in header for w in ("don vi", "co quan"))
    says_field = "linh vuc" in header
    if says_unit and not says_field:  # "Tên đơn vị": the rows are units, known or not
        return False
    if rows["unit"].notna().mean() >= 0.5:  # most rows are known units, whatever the header says
        return False
    if says_field and not says_unit:
        return True
    if len(rows) > MOST_FIELDS:  # one unit's fields are a few dozen: a long list is a list of units
        return False
    plain = pd.Series(text.plain_all(pa.array(rows["name"], pa.string())).to_pylist(), dtype="object")
    return bool(plain.str.match(layout.FIELD.pattern).fillna(False).mean() >= 0.5)


def _unit_in_title(found: layout.Layout, matcher: names.Matcher) -> str | None:
    """The unit a report's title names: "Đơn vị: Phòng Tư pháp", or a title line that is a unit's name."""
    lines = [v for row in found.sheet.rows(0, found.header_rows.start) for v in row if isinstance(v, str)]
    for line in lines:
        if layout.UNIT_IN_TITLE.match(text.plain(line)) and (unit := matcher.match(line.split(":", 1)[1].strip())):
            return unit
    return next((unit for line in lines if (unit := matcher.match(line))), None)


def _odd_names(rows: pd.DataFrame, file_name: str, sheet: str) -> list[Problem]:
    """A name that would not show as written is an error; a new name that looks like a formula (it is
    stored as text, never run) is a warning to look at it. Looked for column-wise, then one by one."""
    names_ = rows["name"].astype("string")
    odd = (names_.str.len().gt(text.MAX_NAME) | names_.str.contains(text.HIDDEN.pattern, regex=True)).fillna(False)
    formula = (rows["unit"].isna() & names_.str.startswith(text.FORMULA_START)).fillna(False)
    problems = []
    for row, name in zip(rows.loc[odd, "row"], names_[odd]):
        problems.append(Problem(ERROR, f"Tệp {file_name}, trang «{sheet}», dòng {row}: tên đơn vị «{text.visible(name)}» "
                                       f"{text.name_problem(name)}."))
    for row, name in zip(rows.loc[formula & ~odd, "row"], names_[formula & ~odd]):
        problems.append(Problem(WARNING, f"Tệp {file_name}, trang «{sheet}», dòng {row}: tên đơn vị «{name}» bắt đầu "
                                         f"bằng «{name[0]}» như một công thức; tên được lưu như chữ. Hãy kiểm tra đây "
                                         "đúng là tên đơn vị."))
    return problems


def _suggest_groups(rows: pd.DataFrame, units: pd.DataFrame) -> dict[str, str]:
    """For each unknown name, the group most units of its section belong to."""
    group_of = dict(zip(units["unit"], units["group"]))
    rows = rows[["name", "section", "unit"]]
    known = rows.dropna(subset=["unit"])
    by_section = known.assign(group=known["unit"].map(group_of)).groupby("section", dropna=False)["group"]
    common = by_section.agg(lambda g: g.mode().iloc[0] if not g.mode().empty else OTHER_GROUP).to_dict()
    unknown = rows[rows["unit"].isna()]
    return {name: common.get(section, OTHER_GROUP)
            for name, section in zip(unknown["name"].tolist(), unknown["section"].tolist())}


def undo_summary(import_id: int, result: dict) -> str:
    """What Store.undo_import did, in a sentence (the page and the CLI say the same)."""
    units = result.get("units_removed") or []
    return (f"Đã hoàn tác lần nhập số {import_id} ({result['file_name']}): bỏ {fmt.number(result['removed'])} dòng, "
            f"khôi phục {fmt.number(result['restored'])} dòng đã bị thay thế"
            + (f", bỏ {fmt.number(len(units))} đơn vị lần nhập đó đã thêm ({', '.join(units[:10])}"
               + ("…" if len(units) > 10 else "") + ")" if units else "") + ".")


def history_table(history: pd.DataFrame) -> pd.DataFrame:
    """The import history (Store.imports) as users read it: Vietnamese headings and numbers."""
    return pd.DataFrame({
        "Số": history["import_id"],
        "Tệp": history["file_name"],
        "Kỳ": [period if pd.isna(first) else f"{period} ({fmt.window_label(first, last)})"
               for period, first, last in zip(history["period"].fillna(""), history["window_start"],
                                              history["window_end"])],
        "Đơn vị": history["units"].map(fmt.number),
        "Dòng": history["rows"].map(fmt.number),
        "Thay thế": history["replaced"].map(lambda v: fmt.number(v) if pd.notna(v) else ""),
        "Người nhập": history["imported_by"].fillna(""),
        "Thời điểm": history["imported_at"].dt.strftime("%d/%m/%Y %H:%M"),
        "Trạng thái": history["undone_at"].map(lambda t: f"đã hoàn tác {t:%d/%m/%Y %H:%M}" if pd.notna(t) else ""),
        "SHA-256": history["sha256"].fillna("").str[:12],
    })


def template(units: pd.DataFrame, period: tuple[int, int]) -> bytes:
    """The project's flat template: one header row of count names, one row per unit."""
    from openpyxl import Workbook  # loaded when a template is asked for, not with every page (70 ms)
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "Số liệu"
    sheet.append([f"Kỳ báo cáo: Tháng {period[1]} năm {period[0]}"])
    sheet.append(["STT", "Đơn vị", *measures.COUNTS.values()])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for i, unit in enumerate(units["unit"], start=1):
        sheet.append([i, unit])
    sheet.column_dimensions["B"].width = 40
    for c in range(3, 3 + len(measures.COUNTS)):
        sheet.column_dimensions[get_column_letter(c)].width = 16
    sheet.freeze_panes = "C3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def preview_table(preview: pd.DataFrame) -> pd.DataFrame:
    """The import preview with Vietnamese headings and numbers."""
    return pd.DataFrame({
        "Dòng": preview["row"],
        "Tên trong tệp": preview["name"],
        "Đơn vị": preview["unit"],
        "Tổng số nhận": preview["received"].map(fmt.number),
        "Trực tuyến": [f"{fmt.number(n)}/{fmt.number(d)}" for n, d in
                       zip(preview["online_numerator"], preview["online_denominator"])],
        "Tỷ lệ trực tuyến": preview["online_rate"].map(fmt.percent),
        "Tỷ lệ TT không dùng tiền mặt": preview["cashless_rate"].map(fmt.percent),
        "Tỷ lệ đúng hạn": preview["ontime_rate"].map(fmt.percent),
    })
