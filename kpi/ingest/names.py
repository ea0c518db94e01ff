"""Unit names as files write them: "UBND xã Mỹ Hương", "MỸ HƯƠNG", "Phòng TN&MT",
"UBND xã Vân Canh - tỉnh Gia Lai" all reduce to one key."""
from __future__ import annotations

import functools
import re

import pandas as pd

from kpi.text import plain

# abbreviations the plans and exports use, on plain text (lower case, no diacritics)
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
_PREFIX = re.compile(r"^(ubnd|uy ban nhan dan)\s+")
# "... huyện Mỹ Tú", "- tỉnh Gia Lai": the level word and the area's name after a unit
_AREA_SUFFIX = re.compile(r"\s+(huyen|tinh|thanh pho|tp|quan|thi xa)(\s+\w+){0,4}$")
_LEVEL_SUFFIX = re.compile(r"\s+(huyen|tinh|thanh pho|quan|thi xa)$")
_LEVEL_PREFIX = re.compile(r"^(xa|phuong|thi tran|dac khu)\s+")


_PUNCTUATION = re.compile(r"[\-–—,;.&/()]+")
_AFTER_DASH = re.compile(r"\s+(huyen|tinh|thanh pho|tp)\s+[\w\s]+$")


_ONE_PASS = re.compile("|".join(f"({pattern})" for pattern, _ in ABBREVIATIONS))  # no inner groups


def _expand(match: re.Match) -> str:
    return ABBREVIATIONS[match.lastindex - 1][1]


# the first word of every abbreviation: a name without one of them needs no expanding
_TRIGGERS = {"vpdkdd", "vp", "tn", "tnmt", "ldtb", "ld", "ldtbxh", "vh", "vhtt", "tc", "tckh", "kt", "ktht", "gd",
             "gddt", "nn", "ptnt", "tt"}
_LEVEL_WORDS = (" huyen", " tinh", " thanh pho", " tp", " quan", " thi xa")


@functools.lru_cache(maxsize=1 << 18)
def key(name: str) -> str:
    """The matching key of a unit name. (Each regex runs only where its words are: a file may
    list 100.000 units.)"""
    written = plain(name)
    words = set(written.replace("&", " ").replace("-", " ").replace(".", " ").split())
    text = _ONE_PASS.sub(_expand, written) if words & _TRIGGERS else written
    text = " ".join(_PUNCTUATION.sub(" ", text).split())
    if text.startswith(("ubnd", "uy ban")):
        text = _PREFIX.sub("", text)
    # the area after a dash is never part of the name ("UBND xã Vân Canh - tỉnh Gia Lai")
    if " - " in written or " – " in written:
        text = _AFTER_DASH.sub("", text)
    if any(word in text for word in _LEVEL_WORDS):
        if text.count(" ") >= 2:  # "Công an huyện Mỹ Tú", "Thanh tra huyện": never the whole name
            text = _AREA_SUFFIX.sub("", text) or text
        if " " in text:
            text = _LEVEL_SUFFIX.sub("", text)
    if text.startswith("phong "):
        text = text[len("phong "):]
    return " ".join(w for w in text.split() if w != "va")


def keys(names: pd.Series) -> pd.Series:
    """The matching key of each name (computed once per distinct name)."""
    return names.astype("str").map(key)


def bare(name_key: str) -> str:
    """A key without the commune level word: "MỸ HƯƠNG" means "Xã Mỹ Hương" when only one unit
    is called that."""
    return _LEVEL_PREFIX.sub("", name_key)


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
        by_bare: dict[str, set[str]] = {}
        for k, unit in self.by_key.items():
            by_bare.setdefault(bare(k), set()).add(unit)
        self.by_bare = {b: next(iter(u)) for b, u in by_bare.items() if len(u) == 1}

    def match(self, name: str) -> str | None:
        return self.match_key(key(name))

    def match_key(self, name_key: str) -> str | None:
        return self.by_key.get(name_key) or self.by_bare.get(bare(name_key))
