"""Text as files write it, made comparable."""
from __future__ import annotations

import re
import unicodedata

import pyarrow as pa
import pyarrow.compute as pc


def nfc(text: str) -> str:
    """Unicode NFC: older tools send Vietnamese as combining marks."""
    return unicodedata.normalize("NFC", text)


def _base_letter(code: int) -> str:
    decomposed = unicodedata.normalize("NFD", chr(code))
    return decomposed[0] if decomposed[0].isascii() else chr(code)


# precomposed Latin letters -> their base letter; one C-speed translate instead of a loop per char
_UNACCENT = {code: _base_letter(code) for code in range(0xC0, 0x1EFA) if _base_letter(code) != chr(code)}
_UNACCENT.update({ord("đ"): "d", ord("Đ"): "D"})
_SPACES = re.compile(r"\s+")


def plain(text: str) -> str:
    """Lower case, without diacritics (đ -> d), single spaces: 'Hoá' and 'hóa' and 'HOA' meet."""
    text = unicodedata.normalize("NFC", str(text)).translate(_UNACCENT).lower()
    if not text.isascii():  # marks NFC could not compose onto a letter
        text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return _SPACES.sub(" ", text).strip()


def only_where(texts: pa.Array | pa.ChunkedArray, found, change) -> pa.Array | pa.ChunkedArray:
    """`change` applied to the texts where `found` is true, the others kept: on a column of
    100.000 names, finding what needs a change costs less than changing every text."""
    found = pc.fill_null(found, False)
    if not pc.any(found).as_py():
        return texts
    return pc.replace_with_mask(texts, found, change(pc.filter(texts, found)))


def plain_all(texts: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """`plain` of a whole column at once (Arrow strings, null stays null): a file may hold
    100.000 names, and a Python call per name would cost more than reading the file."""
    text = pc.utf8_normalize(texts, "NFD")
    text = pc.replace_substring_regex(text, r"\p{Mn}+", "")
    return squeeze(pc.replace_substring(pc.utf8_lower(text), "đ", "d"))


# whitespace other than one plain space: two in a row, tabs and line ends, the other Unicode spaces
_UNUSUAL_SPACE = r"[\s\p{Zs}]{2}|[\t\n\v\f\r\x{a0}\x{1680}\x{2000}-\x{200a}\x{202f}\x{205f}\x{3000}]"


def squeeze(texts: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Single spaces, none at either end (rewriting only the texts that need it)."""
    texts = pc.utf8_trim_whitespace(texts)
    return only_where(texts, pc.match_substring_regex(texts, _UNUSUAL_SPACE),
                      lambda t: pc.utf8_trim_whitespace(pc.replace_substring_regex(t, r"[\s\p{Zs}]+", " ")))


MAX_NAME = 150  # characters: the longest real unit names are about 80
# control characters, zero-width and direction marks: invisible in a name, they change how it reads
HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u180b-\u180e\u200b-\u200f\u2028-\u202e"
                    "\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\ue000-\uf8ff"
                    "\U000e0000-\U000e007f]")
FORMULA_START = ("=", "+", "-", "@")


def name_problem(name: str) -> str | None:
    """Why a unit's or a group's name cannot be stored, or None: too long, or holding characters that do
    not show (a right-to-left mark would reverse the figures of the line it is printed on)."""
    if len(name) > MAX_NAME:
        return f"dài {len(name)} ký tự, quá {MAX_NAME} ký tự"
    if hidden := HIDDEN.search(name):
        return f"có ký tự ẩn hoặc điều khiển (U+{ord(hidden.group()):04X})"
    return None


def visible(name: str, limit: int = 80) -> str:
    """A name for a message about it: hidden characters shown as «�», cut at `limit` characters."""
    shown = HIDDEN.sub("�", name)
    return shown if len(shown) <= limit else shown[:limit] + "…"


def in_markdown(text) -> str:
    """A name from a file or a person, inside Markdown: shown as it is written, never as a link, an image,
    a colour, an icon, a formula or emphasis. The marks that start those are escaped (CommonMark allows
    a backslash before any ASCII punctuation); "www." and a colon before a non-space get a zero-width
    space, since no escape keeps GFM from linking an address or Streamlit from reading :icon: or :red[…]."""
    shown = HIDDEN.sub(lambda m: m.group() if m.group() == "\n" else "�", str(text))  # no mark turns a line
    escaped = _MARKDOWN.sub(r"\\\1", shown)
    return _ADDRESS.sub(lambda m: m.group(1) + "\u200b" + m.group(2) if m.group(1) else ":\u200b", escaped)


_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>#|~$&])")
# www.… and …:// would become links, :name: an icon or an emoji, :red[…] a colour: a zero-width space breaks them
_ADDRESS = re.compile(r"(\bwww)(\.)|:(?=\S)", re.IGNORECASE)
