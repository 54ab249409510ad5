"""Free text as every service accepts it: one constrained string type, used by every
In model, so that no control character reaches a database, a PDF, a mail, a CSV or the
public XML export.

Declare a field's type once, with its length, and one of two markers last::

    Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), ONE_LINE]
    Message = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), LINES]

- ``ONE_LINE`` (a title, a name, a subject): tabs and line breaks pasted from a word
  processor become one space; any other control character is refused.
- ``LINES`` (a message, a motivation): tabs and line breaks are kept (CRLF becomes LF);
  any other control character is refused.
- ``Line(n)`` and ``Text(n)`` are the common shapes ready-made (stripped, at most ``n``).

Refused means a 422 naming the field, in French: the person sees which character to
remove. Control characters are C0 (U+0000-U+001F) but tab, LF, CR; DEL (U+007F); C1
(U+0080-U+009F); lone surrogates; U+FFFE and U+FFFF — what XML 1.0 or UTF-8 cannot carry
(or PostgreSQL: NUL), plus the invisible C1 set.

``xml_text`` is the writers' side: what an older row may still hold is dropped when a
document is written."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, StringConstraints
from pydantic_core import PydanticCustomError, core_schema

# What no text field keeps (tab, LF and CR are handled by each type).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_SPACE = re.compile("[\t\r\n]+")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def control_characters(value: str) -> list[str]:
    """The control characters ``value`` holds (as U+XXXX), none when it is clean."""
    return sorted({f"U+{ord(c):04X}" for c in _CONTROL.findall(value)})


def _refuse_controls(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    found = control_characters(value)
    if found:
        raise PydanticCustomError(
            "control_character",
            "Caractère invisible non accepté ({found}) : retirez-le (il vient souvent d'un copier-coller).",
            {"found": ", ".join(found)},
        )
    return value


def _one_line(value: Any) -> Any:
    return _LINE_SPACE.sub(" ", value) if isinstance(value, str) else value


def _lines(value: Any) -> Any:
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


@dataclass(frozen=True)
class _FreeText:
    """The marker: normalise the line breaks before the string's own constraints (strip,
    lengths), refuse control characters after them."""

    normalise: Callable[[Any], Any]

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        checked = core_schema.no_info_after_validator_function(_refuse_controls, handler(source))
        return core_schema.no_info_before_validator_function(self.normalise, checked)


ONE_LINE = _FreeText(_one_line)
LINES = _FreeText(_lines)


def Line(max_length: int, *, min_length: int = 1) -> Any:  # noqa: N802 - builds a type
    """One line, stripped, ``min_length`` to ``max_length`` characters (for a local alias:
    mypy reads ``Annotated[...]`` written out, this is for tests and dynamic models)."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length), ONE_LINE]


def Text(max_length: int, *, min_length: int = 0) -> Any:  # noqa: N802 - builds a type
    """Several lines, stripped, ``min_length`` to ``max_length`` characters."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length), LINES]


def xml_text(value: str) -> str:
    """``value`` without what XML 1.0 cannot carry (a writer's last line of defence)."""
    return _NOT_XML.sub("", value)


__all__ = ["LINES", "ONE_LINE", "Line", "Text", "control_characters", "xml_text"]
