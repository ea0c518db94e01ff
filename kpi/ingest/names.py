"""Unit names as files write them: "UBND xã Mỹ Hương", "MỸ HƯƠNG", "Phòng TN&MT",
"UBND xã Vân Canh - tỉnh Gia Lai" all reduce to one key.

Keys are computed a column at a time with Arrow's (RE2) regular expressions: a file may list
100.000 units."""
from __future__ import annotations

import functools
from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kpi.text import only_where, plain_all, squeeze

# Vietnamese letters a plain letter stands for: patterns are written plain and match either way
_VARIANTS = {"a": "aàáảãạăằắẳẵặâầấẩẫậ", "e": "eèéẻẽẹêềếểễệ", "i": "iìíỉĩị", "o": "oòóỏõọôồốổỗộơờớởỡợ",
             "u": "uùúủũụưừứửữự", "y": "yỳýỷỹỵ", "d": "dđ"}


def _loose(pattern: str) -> str:
    """A plain regular expression made to match the same words written with or without diacritics
    ("huyen" finds "huyện"); escapes such as \\s are kept."""
    out, escaped = [], False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        else:
            out.append(f"[{_VARIANTS[char]}]" if char in _VARIANTS else char)
    return "".join(out)


# the end of a word: RE2's \b knows only ASCII letters, and "phố" ends in one it does not know
_END = r"(\P{L}|$)"
# abbreviations the plans and exports use (lower case, either way of writing), and their words;
# "nn & ptnt" before "ptnt"
ABBREVIATIONS = [(_loose(pattern) + _END, words + r" \1") for pattern, words in [
    (r"\bvpdkdd|\bvp\s*dkdd", "văn phòng đăng ký đất đai"),
    (r"\btn\s*[&-]\s*mt|\btnmt", "tài nguyên và môi trường"),
    (r"\bldtb\s*&\s*xh|\bld\s*-?\s*tb\s*(&|-|va)\s*xh|\bldtbxh", "lao động thương binh và xã hội"),
    (r"\bvh\s*[&-]\s*tt|\bvhtt", "văn hóa và thông tin"),
    (r"\btc\s*-\s*kh|\btc\s*&\s*kh|\btckh", "tài chính kế hoạch"),
    (r"\bkt\s*[&-]\s*ht|\bktht", "kinh tế và hạ tầng"),
    (r"\bgd\s*[&-]\s*dt|\bgddt", "giáo dục và đào tạo"),
    (r"\bnn\s*&\s*ptnt|\bnn\s*va\s*ptnt", "nông nghiệp và phát triển nông thôn"),
    (r"\bptnt", "phát triển nông thôn"),
]] + [(_loose(r"^(ubnd\s+)?tt\.?\s+"), r"\1thị trấn "), (_loose(r"^vp\.?\s+"), "văn phòng "),
      (_loose(r"^p\.\s*"), "phòng ")]
_PREFIX = _loose(r"^(ubnd|uy ban nhan dan)\s+")
_PUNCTUATION = r"[\-–—,;.&/()]+"
_LEVELS = _loose(r"(huyen|tinh|thanh pho|tp|quan|thi xa)")
# the area after a dash is never part of the name ("UBND xã Vân Canh - tỉnh Gia Lai")
_AFTER_DASH = rf"\s+{_LEVELS}\s+[\p{{L}}\p{{N}}\s]+$"
# "... huyện Mỹ Tú", "Thanh tra huyện": the level word and the area's name after a unit
_AREA_SUFFIX = rf"\s+{_LEVELS}(\s+[\p{{L}}\p{{N}}]+){{0,4}}$"
_LEVEL_SUFFIX = rf"\s+{_loose('(huyen|tinh|thanh pho|quan|thi xa)')}$"
_LEVEL_WORD = rf"\s{_LEVELS}{_END}"
_LEVEL_PREFIX = _loose(r"^(xa|phuong|thi tran|dac khu)\s+")
_OFFICE = _loose(r"^phong ")
_AND = _loose(r"(^|\s)va(\s|$)")
# old and new tone placement ("hoá", "hóa"; "thuỷ", "thủy"): the mark on the first vowel of a final oa,
# oe, uy (after NFD the mark follows its letter); "quý" keeps it on the y
_TONE = "\u0300\u0301\u0303\u0309\u0323"
_TONE_OA = (rf"o([ae])([{_TONE}])(\P{{L}}|$)", r"o\2\1\3")
_TONE_UY = (rf"(^|[^q])u(y)([{_TONE}])(\P{{L}}|$)", r"\1u\3\2\4")
_TONE_QUY = (rf"qu([{_TONE}])y", r"quy\1")  # "qúy", an old spelling of "quý"
_OLD_TONE = r"(o[àáảãạèéẻẽẹ]|u[ỳýỷỹỵ])(\P{L}|$)|q[ùúủũụ]y"  # the names that need it, found in NFC


def _sub(text, pattern: str, replacement: str = ""):
    return pc.replace_substring_regex(text, pattern, replacement)


def _where(text, present: str, change):
    """`change` applied to the texts in which `present` is found: most names need none of the
    rarer steps."""
    return only_where(text, pc.match_substring_regex(text, present), change)


def _expand(text):
    for pattern, expansion in ABBREVIATIONS:
        text = _sub(text, pattern, expansion)
    return squeeze(text)


def _without_area(text):
    """Never the whole name: "Công an huyện Mỹ Tú" loses its area, "Thanh tra huyện" its level word."""
    shorter = _sub(text, _AREA_SUFFIX)
    text = pc.if_else(pc.and_(pc.greater_equal(pc.count_substring(text, " "), 2), pc.not_equal(shorter, "")),
                      shorter, text)
    return pc.if_else(pc.match_substring(text, " "), _sub(text, _LEVEL_SUFFIX), text)


def _written(names: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Lower case, NFC, single spaces, one tone placement."""
    text = pc.utf8_lower(names)
    text = only_where(text, pc.invert(pc.string_is_ascii(text)), lambda t: pc.utf8_normalize(t, "NFC"))
    return squeeze(_where(text, _OLD_TONE, lambda t: pc.utf8_normalize(
        _sub(_sub(_sub(pc.utf8_normalize(t, "NFD"), *_TONE_OA), *_TONE_UY), *_TONE_QUY), "NFC")))


def keys(names: pd.Series | pa.Array | Iterable[str]) -> pd.Series:
    """The matching key of each name (None for a missing name): its own words, with their
    diacritics, without the words that do not tell units apart. A name written without any
    diacritics gets a key without any ("XA PHU MY" -> "xa phu my"), and only such a key is matched
    without them: "Phù Mỹ" and "Phú Mỹ" are two communes."""
    index = names.index if isinstance(names, pd.Series) else None
    if not isinstance(names, (pa.Array, pa.ChunkedArray)):
        names = pa.array(names if index is not None else list(names), pa.string(), from_pandas=True)
    if isinstance(names, pa.ChunkedArray):
        names = names.combine_chunks()
    written = _written(names)
    bare_letters = pc.string_is_ascii(written)  # no diacritics anywhere in the name
    text = _where(written, "|".join(pattern for pattern, _ in ABBREVIATIONS), _expand)
    text = _where(text, _PUNCTUATION, lambda t: squeeze(_sub(t, _PUNCTUATION, " ")))
    text = _where(text, _PREFIX, lambda t: _sub(t, _PREFIX))
    dashed = pc.or_(pc.match_substring(written, " - "), pc.match_substring(written, " – "))
    text = pc.if_else(dashed, _sub(text, _AFTER_DASH), text)
    text = _where(text, _LEVEL_WORD, _without_area)
    text = _where(text, _OFFICE, lambda t: _sub(t, _OFFICE))
    text = _where(text, _AND, lambda t: squeeze(_sub(t, _AND, " ")))
    # the words an abbreviation stood for, plain too
    text = only_where(text, pc.and_(bare_letters, pc.invert(pc.string_is_ascii(text))), plain_all)
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


def _plain(name_keys: pd.Series) -> pd.Series:
    return pd.Series(plain_all(pa.array(name_keys, pa.string(), from_pandas=True)).to_pylist(),
                     index=name_keys.index, dtype="object")


def _bools(array) -> np.ndarray:
    return pc.fill_null(array, False).to_numpy(zero_copy_only=False)


def _unique(units: pd.Series) -> dict:
    """key -> unit for the keys that name one unit only (the index holds the keys)."""
    return {k: u[0] for k, u in units.groupby(level=0).unique().items() if len(u) == 1}


class Matcher:
    """Finds the unit a name means: by its key (a unit's own or a recorded alias), then by its key
    without the commune level word when that names one unit only. Diacritics count: a key written
    without any is compared plain with the units' keys, and a unit written without any with the
    names' keys plain; two names written with different tone marks never meet."""

    def __init__(self, units: pd.DataFrame, aliases: pd.DataFrame | None = None):
        self.by_key: dict[str, str] = {}
        for k, name in zip(keys(units["unit"]), units["unit"]):
            self.by_key.setdefault(k, name)
        if aliases is not None and len(aliases):
            written = aliases["written"] if "written" in aliases else aliases["alias"]
            for alias, unit in zip(keys(written.fillna(aliases["alias"])), aliases["unit"]):
                self.by_key.setdefault(alias, unit)
        known = pd.Series(list(self.by_key.values()), index=pd.Index(list(self.by_key), dtype="object"))
        plain_keys = _plain(known.index.to_series())
        bare_keys = bare(known.index.to_series())
        toneless = plain_keys.to_numpy() == known.index.to_numpy()
        self.by_bare = _unique(pd.Series(known.to_numpy(), index=bare_keys.to_numpy()))
        # a name written plain may mean any unit of that plain key; a unit written plain, any name
        self.by_plain = _unique(pd.Series(known.to_numpy(), index=plain_keys.to_numpy()))
        self.by_plain_bare = _unique(pd.Series(known.to_numpy(), index=_plain(bare_keys).to_numpy()))
        self.plain_units = _unique(pd.Series(known.to_numpy()[toneless], index=plain_keys.to_numpy()[toneless]))

    def match(self, name: str) -> str | None:
        return self.match_keys(pd.Series([key(name)])).iloc[0]

    def match_keys(self, name_keys: pd.Series) -> pd.Series:
        """The unit each key means, or None (looked up by Arrow's hash tables: a file may hold 100.000 names)."""
        index = name_keys.index if isinstance(name_keys, pd.Series) else None
        keys_ = pa.array(pd.Series(name_keys, dtype="object"), pa.string(), from_pandas=True)
        found = _lookup(keys_, self.by_key)
        units = found.to_numpy(zero_copy_only=False).astype(object)  # None where no unit
        missing = np.flatnonzero(_bools(pc.and_(pc.is_null(found), pc.is_valid(keys_))))
        if len(missing):
            wanted = pc.take(keys_, missing)
            bare_keys = _sub(wanted, _LEVEL_PREFIX)
            again = _lookup(bare_keys, self.by_bare)
            if self.by_plain or self.by_plain_bare:  # a key written plain (ASCII): the one unit of that plain key
                plain = pc.string_is_ascii(wanted)
                again = pc.coalesce(again, pc.if_else(plain, _lookup(wanted, self.by_plain), None),
                                    pc.if_else(plain, _lookup(bare_keys, self.by_plain_bare), None))
            again = again.to_numpy(zero_copy_only=False).astype(object)
            if self.plain_units:  # units written plain ("Thanh tra"): any name, compared plain
                # a key and its plain form have as many letters: only keys of a plain unit's length are made plain
                lengths = pa.array({len(k) for k in self.plain_units}, pa.int32())
                near = np.flatnonzero(_bools(pc.is_in(pc.utf8_length(wanted), value_set=lengths)))
                if len(near):
                    said = _lookup(plain_all(pc.take(wanted, near)), self.plain_units).to_numpy(zero_copy_only=False)
                    again[near] = np.where(pd.isna(again[near]), said, again[near])
            units[missing] = again
        return pd.Series(units, index=index, dtype="object")


def _lookup(keys: pa.Array, table: dict[str, str]) -> pa.Array:
    """table[key] for each key, null where it has none."""
    if not table:
        return pa.nulls(len(keys), pa.string())
    return pc.take(pa.array(list(table.values()), pa.string()),
                   pc.index_in(keys, value_set=pa.array(list(table), pa.string())))
