"""The words behind the models' codes, for pages: the classes a model answers with and the
options of its choice inputs. The API, CSV files and stored predictions keep the codes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_noop

# The classes the six models answer with; then the options of their choice inputs.
WORDS = {
    "malware": gettext_noop("Malware"),
    "goodware": gettext_noop("Goodware (not malware)"),
    "Adult": gettext_noop("Adult (under 65)"),
    "Senior": gettext_noop("Senior (65 or over)"),
    "alert": gettext_noop("Alert"),
    "normal": gettext_noop("Normal"),
    "C": gettext_noop("Alive at the end of follow-up"),
    "CL": gettext_noop("Alive thanks to a liver transplant"),
    "D": gettext_noop("Died"),
    "LGG": gettext_noop("Lower-grade glioma (LGG)"),
    "GBM": gettext_noop("Glioblastoma (GBM)"),
    "high": gettext_noop("High risk"),
    "medium": gettext_noop("Medium risk"),
    "low": gettext_noop("Low risk"),
    "CPUs": gettext_noop("CPUs"),
    "Digital Cameras": gettext_noop("Digital cameras"),
    "Dishwashers": gettext_noop("Dishwashers"),
    "Freezers": gettext_noop("Freezers"),
    "Fridge Freezers": gettext_noop("Fridge freezers"),
    "Fridges": gettext_noop("Fridges"),
    "Microwaves": gettext_noop("Microwaves"),
    "Mobile Phones": gettext_noop("Mobile phones"),
    "TVs": gettext_noop("TVs"),
    "Washing Machines": gettext_noop("Washing machines"),
    "female": gettext_noop("female"),
    "male": gettext_noop("male"),
    "yes": gettext_noop("yes"),
    "no": gettext_noop("no"),
    "borderline": gettext_noop("borderline"),
    "placebo": gettext_noop("placebo"),
    "none": gettext_noop("none"),
    "untreated_or_resolved": gettext_noop("edema without diuretics, or resolved by them"),
    "despite_diuretics": gettext_noop("edema despite diuretics"),
    "white": gettext_noop("white"),
    "black or african american": gettext_noop("Black or African American"),
    "asian": gettext_noop("Asian"),
    "american indian or alaska native": gettext_noop("American Indian or Alaska Native"),
    "not reported": gettext_noop("not reported"),
}


def word(code: Any) -> str:
    """`code` in the page's language when it is one of ours, else as the model gave it."""
    return gettext(WORDS[code]) if code in WORDS else str(code)
