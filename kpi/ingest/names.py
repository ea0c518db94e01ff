"""Unit names as files write them: "UBND xã Mỹ Hương", "MỸ HƯƠNG", "Phòng TN&MT",
"UBND xã Vân Canh - tỉnh Gia Lai" all reduce to one key.

Keys are computed a column at a time with Arrow's (RE2) regular expressions: a file may list
100.000 units."""
from __future__ import annotations

import functools
from typing import Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kpi.text import only_where, plain_all, squeeze

# abbreviations the plans and exports use, on plain text (lower case, no diacritics);
# "nn & ptnt" before "ptnt"
ABBREVIATIONS = [
    (r"\bvpdkdd\b|\bvp\s*dkdd\b", "van phong dang ky dat dai"),
    (r"\btn\s*&\s*mt\b|\btnmt\b", "tai nguyen va moi truong"),
    (r"\bldtb\s*&\s*xh\b|\bld\s*-?\s*tb\s*&\s*xh\b|\bldtbxh\b", "lao dong thuong binh va xa hoi"),
    (r"\bvh\s*&\s*tt\b|\bvhtt\b", "van hoa va thong tin"),
    (r"\btc\s*-\s*kh\b|\btc\s*&\s*kh\b|\btckh\b", "tai chinh ke hoach"),
    (r"\bkt\s*&\s*ht\b|\bktht\b", "kinh te va ha tang"),
    (r"\bgd\s*&\s*dt\b|\bgddt\b", "giao duc va dao tao"),
    (r"\bnn\s*&\s*ptnt\b|\bnn\s*va\s*ptnt\b", "nong nghiep va phat trien nong thon"),
    (r"\bptnt\b", "phat trien nong thon"),
    (r"^tt\.?\s+", "thi tran "),
    (r"^vp\.?\s+", "van phong "),
]
_PREFIX = r"^(ubnd|uy ban nhan dan)\s+"
_PUNCTUATION = r"[\-–—,;.&/()]+"
# the area after a dash is never part of the name ("UBND xã Vân Canh - tỉnh Gia Lai")
_AFTER_DASH = r"\s+(huyen|tinh|thanh pho|tp)\s+[\w\s]+$"
# "... huyện Mỹ Tú", "Thanh tra huyện": the level word and the area's name after a unit
_AREA_SUFFIX = r"\s+(huyen|tinh|thanh pho|tp|quan|thi xa)(\s+\w+){0,4}$"
_LEVEL_SUFFIX = r"\s+(huyen|tinh|thanh pho|quan|thi xa)$"
_LEVEL_WORD = r"\s(huyen|tinh|thanh pho|tp|quan|thi xa)\b"
_LEVEL_PREFIX = r"^(xa|phuong|thi tran|dac khu)\s+"


def _sub(text, pattern: str, replacement: str = ""):
    return pc.replace_substring_regex(text, pattern, replacement)


def _where(text, present: str, change):
    """`change` applied to the texts in which `present` is found: most names need none of the
    rarer steps."""
    return only_where(text, pc.match_substring_regex(text, present), change)


def _expand(text):
    for pattern, expansion in ABBREVIATIONS:
        text = _sub(text, pattern, expansion)
    return text


def _without_area(text):
    """Never the whole name: "Công an huyện Mỹ Tú" loses its area, "Thanh tra huyện" its level word."""
    shorter = _sub(text, _AREA_SUFFIX)
    text = pc.if_else(pc.and_(pc.greater_equal(pc.count_substring(text, " "), 2), pc.not_equal(shorter, "")),
                      shorter, text)
    return pc.if_else(pc.match_substring(text, " "), _sub(text, _LEVEL_SUFFIX), text)


def keys(names: pd.Series | pa.Array | Iterable[str]) -> pd.Series:
    """The matching key of each name (None for a missing name)."""
    index = names.index if isinstance(names, pd.Series) else None
    if not isinstance(names, (pa.Array, pa.ChunkedArray)):
        names = pa.array(names if index is not None else list(names), pa.string(), from_pandas=True)
    written = plain_all(names)
    text = _where(written, "|".join(pattern for pattern, _ in ABBREVIATIONS), _expand)
    text = _where(text, _PUNCTUATION, lambda t: squeeze(_sub(t, _PUNCTUATION, " ")))
    text = _where(text, _PREFIX, lambda t: _sub(t, _PREFIX))
    dashed = pc.or_(pc.match_substring(written, " - "), pc.match_substring(written, " – "))
    text = pc.if_else(dashed, _sub(text, _AFTER_DASH), text)
    text = _where(text, _LEVEL_WORD, _without_area)
    text = _where(text, r"^phong ", lambda t: _sub(t, r"^phong "))
    text = _where(text, r"\bva\b", lambda t: squeeze(_sub(t, r"\bva\b")))
    return pd.Series(text.to_pylist(), index=index, dtype="object")


@functools.lru_cache(maxsize=4096)
def key(name: str) -> str:
    """The matching key of one name."""
    return keys([name]).iloc[0]


def bare(name_keys: pd.Series) -> pd.Series:
    """Keys without the commune level word: "MỸ HƯƠNG" means "Xã Mỹ Hương" when only one unit
    is called that."""
    return pd.Series(_sub(pa.array(name_keys, pa.string(), from_pandas=True), _LEVEL_PREFIX).to_pylist(),
                     index=name_keys.index, dtype="object")


class Matcher:
    """Finds the unit a name means: by its key, by a recorded alias, then by its bare key when
    that names one unit only."""

    def __init__(self, units: pd.DataFrame, aliases: pd.DataFrame | None = None):
        self.by_key: dict[str, str] = {}
        for k, name in zip(keys(units["unit"]), units["unit"]):
            self.by_key.setdefault(k, name)
        if aliases is not None:
            for alias, unit in zip(aliases["alias"], aliases["unit"]):
                self.by_key.setdefault(alias, unit)
        known = pd.Series(list(self.by_key.values()), index=bare(pd.Series(list(self.by_key), dtype="object")))
        units_of = known.groupby(level=0).unique()
        self.by_bare = {b: u[0] for b, u in units_of.items() if len(u) == 1}

    def match(self, name: str) -> str | None:
        return self.match_keys(pd.Series([key(name)])).iloc[0]

    def match_keys(self, name_keys: pd.Series) -> pd.Series:
        """The unit each key means, or None."""
        found = name_keys.map(self.by_key)
        missing = found.isna()
        if missing.any():
            found[missing] = bare(name_keys[missing]).map(self.by_bare)
        return found.astype("object").where(found.notna(), None)
