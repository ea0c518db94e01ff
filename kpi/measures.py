"""The counts a report gives and the KPI catalogue built on them.

A KPI is a ratio of two sums of counts. Some KPIs have local variants of their denominator
(DOMAIN.md section 4); each plan sets the variant in force, shown on screen.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from kpi import text

# Monthly counts per unit, in the order of the Circular 01/2020 aggregate form, then the extras.
# column -> Vietnamese label. A count a file did not give is NULL, never 0.
# The labels are also the headers of the flat template, which the importer reads back.
COUNTS: dict[str, str] = {
    "received": "Tổng số hồ sơ nhận giải quyết",
    "received_online": "Tiếp nhận trực tuyến",
    "received_offline": "Tiếp nhận trực tiếp, bưu chính",
    "carried_over": "Từ kỳ trước chuyển sang",
    "resolved": "Tổng số hồ sơ đã giải quyết",
    "resolved_early": "Đã giải quyết trước hạn",
    "resolved_on_time": "Đã giải quyết đúng hạn",
    "resolved_late": "Đã giải quyết quá hạn",
    "pending": "Tổng số hồ sơ đang giải quyết",
    "pending_not_due": "Đang giải quyết trong hạn",
    "pending_overdue": "Đang giải quyết quá hạn",
    "fee_dossiers": "Hồ sơ có nghĩa vụ tài chính",
    "fee_online": "Hồ sơ trực tuyến có nghĩa vụ tài chính",
    "paid_online": "Hồ sơ đã thanh toán trực tuyến",
    "fully_online": "Hồ sơ trực tuyến toàn trình",
    "digitised": "Hồ sơ được số hóa",
    "certification": "Hồ sơ chứng thực bản sao",
    "certification_electronic": "Chứng thực bản sao điện tử",
    "apology_letters": "Hồ sơ quá hạn có thư xin lỗi",
}

# whole -> its parts, for the identities of DOMAIN.md section 3: (3) = (4)+(5)+(6) and so on
IDENTITIES: dict[str, tuple[str, ...]] = {
    "received": ("received_online", "received_offline", "carried_over"),
    "resolved": ("resolved_early", "resolved_on_time", "resolved_late"),
    "pending": ("pending_not_due", "pending_overdue"),
}
IDENTITIES_ACROSS = {"received": ("resolved", "pending")}  # (3) = (7) + (11)


def broken_identities(rows: pd.DataFrame):
    """(whole, parts, rows breaking it, the sum of their parts) for each identity some row breaks.
    A row that lacks the whole or a part breaks nothing: an unknown count proves no error."""
    for whole, parts in (*IDENTITIES.items(), *IDENTITIES_ACROSS.items()):
        summed = rows[list(parts)].sum(axis=1, skipna=False)
        bad = (rows[whole] != summed).fillna(False).astype(bool)
        if bad.any():
            yield whole, parts, rows[bad], summed[bad]


# (part, whole): a part can never be larger than its whole
PART_OF: tuple[tuple[str, str], ...] = (
    *((part, whole) for whole, parts in IDENTITIES.items() for part in parts),
    ("resolved", "received"), ("pending", "received"),
    ("fee_online", "fee_dossiers"), ("fee_online", "received_online"),
    ("paid_online", "fee_online"), ("paid_online", "fee_dossiers"),
    ("fully_online", "received_online"),
    ("certification_electronic", "certification"),
    ("apology_letters", "resolved_late"),
)


@dataclass(frozen=True)
class Ratio:
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    note: str  # what the denominator is, in Vietnamese, for the screen


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    short: str
    variants: dict[str, Ratio] = field(hash=False)
    heading: str = ""  # the column heading of an Appendix 1, as plans word it
    words: str = ""  # what a plan's column heading says (plain text, a regular expression)
    counted: str = ""  # what the numerator's dossiers are: "hồ sơ trực tuyến" (for "cần thêm 9 hồ sơ trực tuyến")

    @property
    def default_variant(self) -> str:
        return next(iter(self.variants))

    def ratio(self, definitions: dict[str, str] | None = None) -> Ratio:
        return self.variants[(definitions or {}).get(self.key, self.default_variant)]


_NEW = ("received_online", "received_offline")

CATALOGUE: tuple[Kpi, ...] = (
    Kpi("online", "Tỷ lệ hồ sơ trực tuyến", "Trực tuyến", {
        "new": Ratio(("received_online",), _NEW,
                     "hồ sơ trực tuyến / hồ sơ mới tiếp nhận (không tính hồ sơ kỳ trước chuyển qua)"),
        "all": Ratio(("received_online",), ("received",),
                     "hồ sơ trực tuyến / tổng số hồ sơ nhận giải quyết, kể cả kỳ trước chuyển qua"),
    }, "Tỷ lệ hồ sơ TTHC (mức 3, mức 4) có phát sinh được thực hiện trực tuyến (%)",
        r"^(?!.*(tien mat|thanh toan|thu phi|nghia vu tai chinh|toan trinh|chung thuc|so hoa)).*(truc tuyen|muc [34])", counted="hồ sơ trực tuyến"),
    Kpi("cashless", "Tỷ lệ thanh toán không dùng tiền mặt", "Không dùng tiền mặt", {
        "fee_online": Ratio(("paid_online",), ("fee_online",),
                            "hồ sơ đã thanh toán trực tuyến / hồ sơ trực tuyến có nghĩa vụ tài chính (Phụ lục 1)"),
        "fee_all": Ratio(("paid_online",), ("fee_dossiers",),
                         "hồ sơ đã thanh toán trực tuyến / mọi hồ sơ có nghĩa vụ tài chính (Chỉ số 766)"),
    }, "Tỷ lệ hồ sơ trực tuyến có phát sinh nghĩa vụ tài chính được thực hiện thu bằng hình thức không dùng tiền "
       "mặt (%)", r"khong dung tien mat|thanh toan (truc tuyen|dien tu)|thu phi truc tuyen|\btttt\b", counted="hồ sơ thanh toán không dùng tiền mặt"),
    Kpi("ontime", "Tỷ lệ giải quyết đúng hạn", "Đúng hạn", {
        "resolved": Ratio(("resolved_early", "resolved_on_time"), ("resolved",),
                          "hồ sơ giải quyết trước hạn và đúng hạn / hồ sơ đã giải quyết"),
        "766": Ratio(("resolved_early", "resolved_on_time", "pending_not_due"), ("resolved", "pending"),
                     "hồ sơ trước hạn, đúng hạn và đang trong hạn / mọi hồ sơ đã và đang giải quyết (Chỉ số 766)"),
    }, "Tỷ lệ hồ sơ TTHC được giải quyết trước hạn và đúng hạn (%)", r"dung (thoi )?h[ae]n|som hen|truoc han", counted="hồ sơ đúng hạn"),
    Kpi("fully_online", "Tỷ lệ hồ sơ trực tuyến toàn trình", "Toàn trình", {
        "new": Ratio(("fully_online",), _NEW, "hồ sơ toàn trình / hồ sơ mới tiếp nhận"),
    }, "Tỷ lệ hồ sơ giải quyết trực tuyến toàn trình trên tổng số hồ sơ (%)", r"toan trinh", counted="hồ sơ toàn trình"),
    Kpi("digitised", "Tỷ lệ số hóa hồ sơ", "Số hóa", {
        "new": Ratio(("digitised",), _NEW, "hồ sơ được số hóa / hồ sơ mới tiếp nhận"),
    }, "Tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC (%)", r"so hoa", counted="hồ sơ được số hóa"),
    Kpi("ecert", "Tỷ lệ chứng thực bản sao điện tử", "Chứng thực điện tử", {
        "all": Ratio(("certification_electronic",), ("certification",),
                     "chứng thực bản sao điện tử / hồ sơ chứng thực bản sao"),
    }, "Tỷ lệ hồ sơ chứng thực bản sao điện tử từ bản chính (%)", r"chung thuc", counted="hồ sơ chứng thực điện tử"),
    Kpi("apology", "Tỷ lệ hồ sơ quá hạn có thư xin lỗi", "Thư xin lỗi", {
        "all": Ratio(("apology_letters",), ("resolved_late",), "hồ sơ quá hạn có thư xin lỗi / hồ sơ quá hạn"),
    }, "Tỷ lệ hồ sơ quá hạn có văn bản xin lỗi (%)", r"xin loi", counted="hồ sơ có thư xin lỗi"),
)

KPIS: dict[str, Kpi] = {k.key: k for k in CATALOGUE}
ALWAYS_SHOWN = ("online", "cashless")


def from_heading(heading: str) -> Kpi | None:
    """The KPI an Appendix column heading names ("… không dùng tiền mặt (%)" is the cashless rate), or None."""
    words = text.plain(heading)
    found = [k for k in CATALOGUE if re.search(k.words, words)]
    return found[0] if len(found) == 1 else None


@dataclass(frozen=True)
class Instead:
    """A KPI whose definition needs counts the data lacks, while another definition's are there."""

    kpi: Kpi
    variant: str  # the definition in force
    other: str  # the one the data allows
    missing: tuple[str, ...]  # the counts the definition in force needs and the data lacks
    units: int | None = None  # how many units lack them, when others have them

    @property
    def sentence(self) -> str:
        """One sentence for the pages, the import preview and the files."""
        lacking = ", ".join(f"«{COUNTS[c]}»" for c in self.missing)
        whose = f"số liệu của {self.units} đơn vị" if self.units else "số liệu"
        return (f"«{self.kpi.label}» theo định nghĩa của kế hoạch ({self.kpi.variants[self.variant].note}) cần số "
                f"{lacking}, {whose} không có; {whose} có đủ để tính theo định nghĩa "
                f"{self.kpi.variants[self.other].note}.")


def allowed_instead(given: set[str], definitions: dict[str, str] | None = None,
                    kpis: tuple[Kpi, ...] = CATALOGUE) -> list[Instead]:
    """The KPIs the counts `given` cannot compute under `definitions`, but can under another variant."""
    found = []
    for kpi in kpis:
        variant = (definitions or {}).get(kpi.key, kpi.default_variant)
        ratio = kpi.variants[variant]
        missing = tuple(c for c in (*ratio.numerator, *ratio.denominator) if c not in given)
        if not missing:
            continue
        other = next((key for key, r in kpi.variants.items() if key != variant
                      and all(c in given for c in (*r.numerator, *r.denominator))), None)
        if other is not None:
            found.append(Instead(kpi, variant, other, missing))
    return found


def every_ratio(kpis: tuple[Kpi, ...] = CATALOGUE) -> dict[str, Ratio]:
    """Every definition of every KPI by name ("online:new"), for sums made once for all of them."""
    return {f"{k.key}:{variant}": r for k in kpis for variant, r in k.variants.items()}


def get(key: str) -> Kpi:
    try:
        return KPIS[key]
    except KeyError:
        raise ValueError(f"Chỉ tiêu không có: {key!r} (chọn một trong {', '.join(KPIS)})") from None


def _row_sum(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """Sum of counts across columns in each row; NULL when any of them is NULL."""
    if len(columns) == 1:  # most ratios: the column itself
        return frame[columns[0]].astype("Int64")
    total = frame[list(columns)].astype("Int64").sum(axis=1, skipna=False)
    return total.astype("Int64")


def ratios(counts: pd.DataFrame, keys: list[str], definitions: dict[str, str] | None = None,
           kpis: tuple[Kpi, ...] = CATALOGUE) -> pd.DataFrame:
    """Each row's numerator and denominator for every KPI: [*keys, kpi, numerator, denominator].
    A row counts towards a KPI only when both are known."""
    parts = []
    for kpi in kpis:
        ratio = kpi.ratio(definitions)
        num, den = _row_sum(counts, ratio.numerator), _row_sum(counts, ratio.denominator)
        known = num.notna() & den.notna()
        part = counts[keys].copy()
        part["kpi"] = kpi.key
        part["numerator"], part["denominator"] = num.where(known), den.where(known)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def row_rates(counts: pd.DataFrame, keys: list[str], definitions: dict[str, str] | None = None,
              kpis: tuple[Kpi, ...] = CATALOGUE) -> pd.DataFrame:
    """Like `rates`, for rows that are already one per group (a unit's month): no summing."""
    out = ratios(counts, keys, definitions, kpis)
    out["rate"] = rate(out["numerator"], out["denominator"])
    return out


def rates(counts: pd.DataFrame, by: list[str], definitions: dict[str, str] | None = None,
          kpis: tuple[Kpi, ...] = CATALOGUE) -> pd.DataFrame:
    """Rates of every KPI for each group of `by`, from monthly count rows.

    Returns one row per group and KPI: [*by, kpi, numerator, denominator, rate].
    A month counts towards a KPI only when both its numerator and denominator are known.
    denominator is NA when no month gave the counts; rate is NA also when it is 0.
    """
    return combine(ratios(counts, by, definitions, kpis), by)


def combine(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Roll rate rows up to `by` (a group, the area, a longer period).

    The rate of the whole is the sum of numerators over the sum of denominators, never a mean
    of rates; a whole none of whose parts gave the counts stays NA.
    """
    keys = [*by, "kpi"]
    out = (frame.groupby(keys, sort=False, dropna=False)[["numerator", "denominator"]]
           .sum(min_count=1).reset_index())
    out["numerator"] = out["numerator"].astype("Int64")
    out["denominator"] = out["denominator"].astype("Int64")
    out["rate"] = rate(out["numerator"], out["denominator"])
    return out


def rate(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """Percentage at full precision; NA where there are no dossiers or no counts."""
    # numerator * 100 / denominator is one correctly rounded division of exact integers, so
    # equal ratios give equal floats (ties rank together) and 45/50 gives exactly 90.0.
    has = (denominator > 0).fillna(False)
    out = (numerator.astype("Float64") * 100) / denominator.astype("Float64")
    return out.where(has, pd.NA)
