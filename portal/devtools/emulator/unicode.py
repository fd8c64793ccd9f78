"""Java-style `\\p{X}` Unicode categories, for AWS patterns that Python's `re` cannot read."""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache

_CLASS_ESCAPE = re.compile(r"\\p\{([A-Z])\}")


def in_category(char: str, *majors: str) -> bool:
    """Whether `char`'s general category starts with one of `majors` (e.g. "L", "Z")."""
    return unicodedata.category(char)[0] in majors


@cache
def _all_ranges() -> dict[str, str]:
    """Regex class bodies (no brackets) for every major category, built in one pass."""
    spans: dict[str, list[tuple[int, int]]] = {}
    current: str | None = None
    start = 0
    for code in range(sys.maxunicode + 2):
        major = unicodedata.category(chr(code))[0] if code <= sys.maxunicode else None
        if major != current:
            if current is not None:
                spans.setdefault(current, []).append((start, code - 1))
            current, start = major, code
    return {major: "".join(_span(a, b) for a, b in pairs) for major, pairs in spans.items()}


def _char(code: int) -> str:
    return f"\\x{code:02x}" if code <= 0xFF else f"\\U{code:08x}"


def _span(first: int, last: int) -> str:
    return _char(first) if first == last else f"{_char(first)}-{_char(last)}"


def _ranges(major: str) -> str:
    """A regex class body (no brackets) matching every code point of category `major`."""
    return _all_ranges()[major]


@cache
def compile_aws_pattern(pattern: str) -> re.Pattern[str] | None:
    """Compile a botocore pattern, expanding `\\p{X}` classes; None if it can't be read."""
    translated = _CLASS_ESCAPE.sub(lambda m: _ranges(m.group(1)), pattern)
    try:
        return re.compile(translated)
    except re.error:
        return None
