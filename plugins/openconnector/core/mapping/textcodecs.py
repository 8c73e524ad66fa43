"""PHP's text encoders that OpenConnector's casts call: URL, HTML entities, base64, ASCII transliteration.

Each function reproduces the PHP function named in its docstring for UTF-8 text, so a mapping moved
from OpenConnector gives the same strings here.
"""

from __future__ import annotations

import base64
import binascii
import html.entities
import re
import unicodedata
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from openconnector.core.php import CastError

# htmlentities() with PHP 8.1's default flags (ENT_QUOTES | ENT_SUBSTITUTE | ENT_HTML401): every
# character that has an HTML 4.01 named entity, and the single quote as &#039;.
_ENTITY_OF = {chr(code): f"&{name};" for code, name in html.entities.codepoint2name.items()}
_ENTITY_OF["'"] = "&#039;"
_ENTITY_REF = re.compile(r"&(?:#([0-9]+)|#[xX]([0-9a-fA-F]+)|([A-Za-z][A-Za-z0-9]*));")
_BASE64_ALPHABET = re.compile(rb"[^A-Za-z0-9+/]")

# What glibc's iconv //TRANSLIT writes for letters that do not decompose into ASCII plus accents.
_TRANSLIT = {
    "ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE", "đ": "d", "Đ": "D",
    "ł": "l", "Ł": "L", "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D", "ı": "i", "ĸ": "q", "ŋ": "n", "Ŋ": "N",
    "€": "EUR", "£": "GBP", "¥": "JPY", "©": "(C)", "®": "(R)", "™": "(TM)", "°": "?", "±": "+/-",
    "«": "<<", "»": ">>", "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-",
    "…": "...", "•": "o", "×": "x", "÷": ":", "½": " 1/2", "¼": " 1/4", "¾": " 3/4", "\u00a0": " ",
}  # fmt: skip


def urlencode(text: str) -> str:
    """Return PHP ``urlencode``: spaces become ``+``, everything but ``A-Za-z0-9-_.`` is %-encoded."""
    return quote_plus(text, safe="").replace("~", "%7E")


def urldecode(text: str) -> str:
    """Return PHP ``urldecode``: ``+`` becomes a space and %-sequences are decoded."""
    return unquote_plus(text)


def rawurlencode(text: str) -> str:
    """Return PHP ``rawurlencode`` (RFC 3986: everything but ``A-Za-z0-9-_.~`` is %-encoded)."""
    return quote(text, safe="")


def rawurldecode(text: str) -> str:
    """Return PHP ``rawurldecode``: %-sequences are decoded, ``+`` stays."""
    return unquote(text)


def htmlentities(text: str) -> str:
    """Return PHP 8.1 ``htmlentities``: ``é`` → ``&eacute;``, ``'`` → ``&#039;``, ``<`` → ``&lt;``."""
    return "".join(_ENTITY_OF.get(ch, ch) for ch in text)


def html_entity_decode(text: str) -> str:
    """Return PHP 8.1 ``html_entity_decode``: HTML 4.01 named and numeric entities; others stay."""
    return _ENTITY_REF.sub(_decode_entity, text) if "&" in text else text


def _decode_entity(match: re.Match[str]) -> str:
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        code = html.entities.name2codepoint.get(name)
    else:
        code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code is None or code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return match.group(0)
    return chr(code)


def base64_encode(text: str) -> str:
    """Return PHP ``base64_encode`` of the UTF-8 bytes of ``text``."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def base64_decode(text: str) -> str:
    """Return PHP's non-strict ``base64_decode``: characters outside the alphabet are skipped.

    The decoded bytes must be UTF-8 text, because a JSON string cannot hold anything else.
    """
    data = _BASE64_ALPHABET.sub(b"", text.encode("utf-8"))
    data = data[: len(data) - len(data) % 4] if len(data) % 4 == 1 else data
    try:
        raw = base64.b64decode(data + b"=" * (-len(data) % 4))
    except binascii.Error as exc:  # pragma: no cover - the alphabet filter leaves only decodable input
        raise CastError(f"is not base64: {exc}") from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CastError("decodes to bytes that are not UTF-8 text (a JSON string cannot hold them)") from None


def ascii_transliterate(text: str) -> str:
    """Return ``iconv('UTF-8', 'ASCII//TRANSLIT', text)`` as glibc does it: ``Café Ørsted`` → ``Cafe Orsted``.

    Accents are dropped, a few letters are spelled out (``ß`` → ``ss``, ``€`` → ``EUR``) and anything
    else becomes ``?``.
    """
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
        elif ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(base if base and base.isascii() else "?")
    return "".join(out)
