"""Texts a case builds from a pattern (the 241 Android permissions and API calls, the
elder-monitoring rooms), in the page's language. The case keeps plain English for the API
and the schema; the pages look the pattern up here when the catalogue has no exact entry.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext, gettext_noop

# Words the patterns put in (room names, units), so that they reach the catalogue.
WORDS = (
    gettext_noop("Living room"),
    gettext_noop("Bedroom"),
    gettext_noop("Bathroom"),
    gettext_noop("Kitchen"),
    gettext_noop("Hallway"),
    gettext_noop("activations per hour"),
    gettext_noop("raw sensor reading"),
)

_PATTERNS = [
    (re.compile(r"Permission (?P<name>\S+)"), gettext_noop("Permission %(name)s")),
    (re.compile(r"API call (?P<name>\S+)"), gettext_noop("API call %(name)s")),
    (
        re.compile(r"1 if the app uses the permission (?P<name>\S+), 0 if not; missing is 0\."),
        gettext_noop("1 if the app requests the permission %(name)s, 0 if not; missing is 0."),
    ),
    (
        re.compile(r"1 if the app uses the api call (?P<name>\S+), 0 if not; missing is 0\."),
        gettext_noop("1 if the app's code calls %(name)s, 0 if not; missing is 0."),
    ),
    (re.compile(r"(?P<room>[A-Z][a-z ]+) activations"), gettext_noop("%(room)s: activations")),
    (
        re.compile(
            r"How many times the (?P<room>[a-z ]+) motion sensor switched on in the hour "
            r"\(0 when nobody moved there\)\."
        ),
        gettext_noop(
            "How many times the motion sensor switched on in the hour (0 when nobody moved "
            "there): %(room)s."
        ),
    ),
]


def pattern_translated(text: str) -> str:
    """`text` in the active language: its catalogue entry, else its pattern's, else itself."""
    found = gettext(text)
    if found != text:
        return found
    for pattern, sentence in _PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            values = match.groupdict()
            if "room" in values:
                room = values["room"]
                values["room"] = gettext(room[:1].upper() + room[1:])
            return gettext(sentence) % values
    return text
