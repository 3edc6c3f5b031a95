"""Who and why: the words an operator puts into the audit journal, checked at every door.

They end up in the journal, in logs and on operators' terminals (``hydra journal``), so
they must be text a terminal shows as it is: valid UTF-8, printable, bounded.
"""

from __future__ import annotations

from hydra.domain.errors import InvalidInputError

__all__ = ["WHO_MAX", "WHY_MAX", "operator_text", "who_text", "why_text"]

WHO_MAX = 128
"""Longest ``who`` accepted, in characters."""

WHY_MAX = 1024
"""Longest ``why`` accepted, in characters."""

_PREVIEW = 40
_REQUIRED = "required, a non-empty string (recorded in the journal)"


def operator_text(field: str, value: object, limit: int) -> str:
    r"""``value`` without surrounding blanks, if it is fit for the journal and a terminal.

    Refused: a non-string, an empty or blank one, one longer than ``limit`` characters,
    one that is not valid UTF-8 (a lone surrogate such as ``"\ud800"``), and one holding a
    character ``str.isprintable`` refuses (control, format, separator and surrogate
    characters; the plain space is fine), which could rewrite a terminal that shows it.

    Raises:
        InvalidInputError: naming ``field`` and the reason.
    """
    if value is None:
        raise InvalidInputError(field, _REQUIRED)
    if not isinstance(value, str):
        raise InvalidInputError(field, "must be a string", type(value).__name__)
    text = value.strip()
    if not text:
        raise InvalidInputError(field, _REQUIRED, value)
    if len(text) > limit:
        raise InvalidInputError(
            field, f"at most {limit} characters (got {len(text)})", text[:_PREVIEW] + "..."
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError(
            field, "must be valid UTF-8 (no lone surrogates)", text[:_PREVIEW]
        ) from None
    if not text.isprintable():
        bad = next(c for c in text if not c.isprintable())
        raise InvalidInputError(
            field,
            f"must not hold control or format characters (found U+{ord(bad):04X})",
            text[:_PREVIEW],
        )
    return text


def who_text(value: object, field: str = "who") -> str:
    """A checked ``who`` (see ``operator_text``; at most ``WHO_MAX`` characters)."""
    return operator_text(field, value, WHO_MAX)


def why_text(value: object, field: str = "why") -> str:
    """A checked ``why`` (see ``operator_text``; at most ``WHY_MAX`` characters)."""
    return operator_text(field, value, WHY_MAX)
