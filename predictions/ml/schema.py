"""Input schemas of the ML cases: declared once, used to validate, document and build forms.

A case declares its fields; `Schema.validate_rows` turns untrusted JSON rows into clean
Python values or raises `SchemaError` naming the row and the field. Nothing here knows
about HTTP: `SchemaError` only names its code and status for the API's error handler.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mlbilling.errors import DomainError

FieldKind = Literal["number", "integer", "boolean", "choice", "multichoice", "text", "datetime"]


class SchemaError(ValueError, DomainError):
    """Invalid input. `errors` maps row index -> field name -> messages.

    Errors that concern a whole row (not an object, unknown fields...) use the field
    name "non_field_errors"; errors about the request as a whole use row index -1.
    """

    code = "invalid_input"
    status_code = 400

    def __init__(self, errors: dict[int, dict[str, list[str]]]) -> None:
        self.errors = errors
        super().__init__(self.describe())

    def detail(self) -> str:
        return _("Invalid input: %(what)s") % {"what": self.describe()}

    def field_errors(self) -> dict[str, Any]:
        """{"inputs": {"<row>": {field: messages}}}, request-wide errors at the top."""
        errors: dict[str, Any] = {}
        for row, fields in sorted(self.errors.items()):
            if row < 0:
                errors.update(fields)
            else:
                errors.setdefault("inputs", {})[str(row)] = fields
        return errors

    def describe(self) -> str:
        parts = []
        for row, fields in sorted(self.errors.items()):
            where = _("input") if row < 0 else _("row %(row)s") % {"row": row}
            for name, messages in fields.items():
                parts.append(f"{where}, {name}: {'; '.join(messages)}")
        return " | ".join(parts)


class FieldError(ValueError):
    """Raised by a field parser with a message meant for the user."""


@dataclass(frozen=True)
class Field:
    """One input of a case.

    `parser`, when given, receives the raw JSON value (after the null check) and returns
    the clean value or raises `FieldError`; it replaces the kind's own conversion, so a
    case can accept convenient forms (e.g. "51 years 108 days" for an age).
    """

    name: str
    kind: FieldKind
    label: str = ""
    description: str = ""
    unit: str = ""
    required: bool = True
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    parser: Callable[[Any], Any] | None = field(default=None, compare=False, repr=False)
    json_type: str | None = None  # OpenAPI type when a parser widens the accepted input

    def clean(self, value: Any) -> Any:
        if value is None:
            if self.nullable:
                return None
            raise FieldError(_("This field may not be null."))
        if self.parser is not None:
            return self.parser(value)
        return _CLEANERS[self.kind](self, value)

    def to_json_schema(self) -> dict[str, Any]:
        """This field as an OpenAPI 3 / JSON Schema property."""
        schema: dict[str, Any] = {"type": self.json_type or _JSON_TYPES[self.kind]}
        if self.kind == "multichoice":
            schema["items"] = {"type": "string", "enum": list(self.choices)}
            schema["uniqueItems"] = True
        elif self.choices:
            schema["enum"] = list(self.choices)
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.kind == "text":
            # Blank text and NUL characters are refused (see _clean_text).
            schema["minLength"] = 1
            schema["pattern"] = r"^[^\u0000]*\S[^\u0000]*$"
        if self.kind == "datetime":
            schema["format"] = "date-time"
        if self.nullable:
            schema["nullable"] = True
        description = " ".join(
            part for part in (self.description, f"Unit: {self.unit}." if self.unit else "") if part
        )
        if description:
            schema["description"] = description
        if self.label:
            schema["title"] = self.label
        return schema


def _finite_number(value: Any) -> float:
    # bool is an int in Python; true/false as a number is almost always a client bug.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError(_("A number is required."))
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise FieldError(_("The number is too large.")) from None
    if not math.isfinite(number):
        raise FieldError(_("NaN and infinity are not allowed."))
    return number


def _check_range(f: Field, number: float) -> None:
    if f.minimum is not None and number < f.minimum:
        raise FieldError(_("Must be at least %(minimum)g.") % {"minimum": f.minimum})
    if f.maximum is not None and number > f.maximum:
        raise FieldError(_("Must be at most %(maximum)g.") % {"maximum": f.maximum})


def _clean_number(f: Field, value: Any) -> float:
    number = _finite_number(value)
    _check_range(f, number)
    return number


def _clean_integer(f: Field, value: Any) -> int:
    number = _finite_number(value)
    if not number.is_integer():
        raise FieldError(_("A whole number is required."))
    _check_range(f, number)
    return int(number)


def _clean_boolean(f: Field, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise FieldError(_("true or false is required."))


def _clean_choice(f: Field, value: Any) -> str:
    if not isinstance(value, str) or value not in f.choices:
        raise FieldError(_("Must be one of: %(choices)s.") % {"choices": ", ".join(f.choices)})
    return value


def _clean_multichoice(f: Field, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise FieldError(_("A list of names is required."))
    allowed = set(f.choices)
    unknown = [item for item in value if not isinstance(item, str) or item not in allowed]
    if unknown:
        shown = ", ".join(repr(item) for item in unknown[:5])
        raise FieldError(_("Unknown values: %(values)s.") % {"values": shown})
    if len(set(value)) != len(value):
        raise FieldError(_("Values must not repeat."))
    return tuple(value)


def _storable(text: str) -> bool:
    """No NUL and no unpaired surrogate: what the database's UTF-8 text can store, checked
    before the model runs (the record written after it would be refused)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean_text(f: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise FieldError(_("A string is required."))
    if not _storable(value):
        raise FieldError(_("Text must not contain NUL characters or unpaired surrogates."))
    # The text as sent, as the published schema's maxLength counts it: 300 characters and
    # a leading form feed are 301, refused, although stripped they would fit.
    if f.max_length is not None and len(value) > f.max_length:
        raise FieldError(
            ngettext("At most %(count)d character.", "At most %(count)d characters.", f.max_length)
            % {"count": f.max_length}
        )
    text = value.strip()
    if not text:
        raise FieldError(_("This field may not be blank."))
    return text


def _clean_datetime(f: Field, value: Any) -> Any:
    from django.utils.dateparse import parse_datetime

    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well formed but no such moment: minute 99, 30 February
        parsed = None
    if parsed is None:
        raise FieldError(_("An ISO 8601 date and time is required, e.g. 2020-01-05T14:00:00Z."))
    return parsed


_CLEANERS: dict[str, Callable[[Field, Any], Any]] = {
    "number": _clean_number,
    "integer": _clean_integer,
    "boolean": _clean_boolean,
    "choice": _clean_choice,
    "multichoice": _clean_multichoice,
    "text": _clean_text,
    "datetime": _clean_datetime,
}
_JSON_TYPES = {
    "number": "number",
    "integer": "integer",
    "boolean": "boolean",
    "choice": "string",
    "multichoice": "array",
    "text": "string",
    "datetime": "string",
}


# A check across fields of a clean row: returns field name -> messages (empty when fine).
RowCheck = Callable[[Mapping[str, Any]], dict[str, list[str]]]


@dataclass(frozen=True)
class Schema:
    """The fields of a row, plus `checks` that need several fields at once.

    Checks run only when every field is clean, so they see clean values; they live here
    rather than on the case so that every caller of `validate_rows` enforces them.
    """

    fields: tuple[Field, ...]
    checks: tuple[RowCheck, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError("Field names must be unique.")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def validate_row(self, row: Any) -> dict[str, Any]:
        """Clean one row or raise `SchemaError` for row 0 (callers renumber)."""
        if not isinstance(row, Mapping):
            raise SchemaError({0: {"non_field_errors": [_("Each row must be a JSON object.")]}})
        errors: dict[str, list[str]] = {}
        known = self.by_name()
        unknown = sorted(set(row) - set(known))
        if unknown:
            errors["non_field_errors"] = [
                _("Unknown fields: %(names)s.") % {"names": ", ".join(map(str, unknown))}
            ]
        clean: dict[str, Any] = {}
        for f in self.fields:
            if f.name not in row:
                if f.required:
                    errors[f.name] = [_("This field is required.")]
                else:
                    clean[f.name] = None
                continue
            try:
                clean[f.name] = f.clean(row[f.name])
            except FieldError as exc:
                errors[f.name] = [str(exc)]
        if not errors:
            for check in self.checks:
                errors.update(check(clean))
        if errors:
            raise SchemaError({0: errors})
        return clean

    def validate_rows(self, rows: Iterable[Any]) -> list[dict[str, Any]]:
        """Clean every row; collect the errors of all rows before raising."""
        clean: list[dict[str, Any]] = []
        errors: dict[int, dict[str, list[str]]] = {}
        for index, row in enumerate(rows):
            try:
                clean.append(self.validate_row(row))
            except SchemaError as exc:
                errors[index] = exc.errors[0]
        if errors:
            raise SchemaError(errors)
        return clean

    def to_json_schema(self) -> dict[str, Any]:
        """The row object as JSON Schema (used in the API and the OpenAPI document)."""
        return {
            "type": "object",
            "additionalProperties": False,
            "required": [f.name for f in self.fields if f.required],
            "properties": {f.name: f.to_json_schema() for f in self.fields},
        }


def describe_fields(fields: Sequence[Field]) -> list[dict[str, Any]]:
    """A plain description of each field for the model pages and the API."""
    return [
        {
            "name": f.name,
            "label": f.label or f.name,
            "kind": f.kind,
            "unit": f.unit,
            "description": f.description,
            "required": f.required,
            "nullable": f.nullable,
            "minimum": f.minimum,
            "maximum": f.maximum,
            "choices": list(f.choices),
        }
        for f in fields
    ]
