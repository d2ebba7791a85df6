"""Statement lines: what a movement was for, stored as a kind with parameters and put into
words only when someone reads it, in their language (with Russian plural forms).

The services that move money say which line a transfer gets (`StatementLine`); the
statement page, its CSV and the API render it with `line_text`. A person's own note (an
operator's reason for a grant or a refund) is no line parameter: it stays in the
transfer's `description` and is shown as written after the line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.models import LineKind, Transfer


@dataclass(frozen=True)
class StatementLine:
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)


def prediction_line(*, model: str, version: int, rows: int) -> StatementLine:
    return StatementLine(LineKind.PREDICTION, {"model": model, "version": version, "rows": rows})


def batch_line(*, job: int, model: str, rows: int) -> StatementLine:
    """`rows`: the rows charged (those that succeeded), not the rows of the file."""
    return StatementLine(LineKind.BATCH, {"job": job, "model": model, "rows": rows})


def topup_line(*, provider: str) -> StatementLine:
    return StatementLine(LineKind.TOPUP, {"provider": provider})


def refund_line(*, refund_of: int) -> StatementLine:
    return StatementLine(LineKind.REFUND, {"refund_of": refund_of})


def _prediction(params: Mapping[str, Any]) -> str:
    return ngettext(
        "Prediction by %(model)s v%(version)s: %(rows)d row",
        "Prediction by %(model)s v%(version)s: %(rows)d rows",
        params["rows"],
    ) % dict(params)


def _batch(params: Mapping[str, Any]) -> str:
    return ngettext(
        "Batch job %(job)s: %(rows)d row of %(model)s charged",
        "Batch job %(job)s: %(rows)d rows of %(model)s charged",
        params["rows"],
    ) % dict(params)


def _topup(params: Mapping[str, Any]) -> str:
    return _("Top-up through %(provider)s") % dict(params)


def _refund(params: Mapping[str, Any]) -> str:
    return _("Refund of movement %(refund_of)s") % dict(params)


def _grant(params: Mapping[str, Any]) -> str:
    return _("Credits given by an operator")


def _adjustment(params: Mapping[str, Any]) -> str:
    return _("Credits taken back by an operator")


_WORDS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    LineKind.PREDICTION: _prediction,
    LineKind.BATCH: _batch,
    LineKind.TOPUP: _topup,
    LineKind.REFUND: _refund,
    LineKind.GRANT: _grant,
    LineKind.ADJUSTMENT: _adjustment,
}


def line_words(transfer: Transfer) -> str:
    """The transfer's line in the active language; empty if it has none."""
    words = _WORDS.get(transfer.line_kind)
    return words(transfer.line_params) if words else ""


def line_text(transfer: Transfer) -> str:
    """The transfer's line in the active language, then the note, if any, as written."""
    line = line_words(transfer)
    note = transfer.description
    if line and note:
        return _("%(line)s: %(note)s") % {"line": line, "note": note}
    return line or note
