"""Text as files write it, made comparable."""
from __future__ import annotations

import re
import unicodedata


def nfc(text: str) -> str:
    """Unicode NFC: older tools send Vietnamese as combining marks."""
    return unicodedata.normalize("NFC", text)


def plain(text: str) -> str:
    """Lower case, without diacritics (đ -> d), single spaces: 'Hoá' and 'hóa' and 'HOA' meet."""
    text = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"\s+", " ", text).strip()
