"""The paid prediction: validate, pre-check the credits, run the model, charge and record.

The order is the point (architecture.md, "A prediction"): bad input is refused before
anything runs; the model never runs inside a transaction, so no lock is held while it
computes; the charge and the record commit together, so a prediction is either paid and
recorded or neither. Failed and refused predictions are recorded too and cost nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection
from django.utils.translation import gettext as _

from billing.errors import CreditShortfall, InsufficientCredits
from billing.money import credits_number, format_credits
from billing.services.wallets import AttachedRow, wallet_charge_with_row
from billing.statement_lines import prediction_line
from billing.system_accounts import revenue_account
from mlbilling.errors import DomainError
from mlbilling.events import send_after_commit
from predictions.ml.cases import get_case
from predictions.ml.cases.base import Case
from predictions.ml.schema import SchemaError
from predictions.models import Prediction
from predictions.registry.artifacts import load_model
from predictions.serving.selectors import prediction_context
from predictions.signals import prediction_recorded

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY_MAX_LENGTH = 255


class PredictionError(Exception):
    """A prediction that produced no result for the caller."""


class PredictionRefused(PredictionError, CreditShortfall):
    """Not enough credits: nothing was charged and no result is returned."""

    def __init__(self, *, prediction: Prediction, needed: int, balance: int, available: int):
        self.prediction = prediction
        super().__init__(
            _("Not enough credits: this prediction costs %(needed)s, %(available)s available.")
            % {"needed": credits_number(needed), "available": credits_number(available)},
            needed=needed,
            balance=balance,
            available=available,
        )

    def extra(self) -> dict[str, str]:
        return {**super().extra(), "prediction": str(self.prediction.id)}


class PredictionFailed(PredictionError, DomainError):
    """The model raised on this input; recorded as failed and not charged."""

    code = "model_failed"
    status_code = 503

    def __init__(self, *, prediction: Prediction):
        self.prediction = prediction
        super().__init__(
            _(
                "The model failed to produce a prediction for this input; nothing was charged. "
                "Try again later or contact support with the prediction id."
            )
        )

    def extra(self) -> dict[str, str]:
        return {"prediction": str(self.prediction.id)}


class IdempotencyConflict(PredictionError, DomainError):
    """The Idempotency-Key was already spent on a request with another body."""

    code = "idempotency_key_reused"
    status_code = 409

    def __init__(self, *, key: str):
        self.key = key
        super().__init__(
            _(
                "This Idempotency-Key was already used with a different request body; "
                "use a new key for a new request."
            )
        )


@dataclass(frozen=True)
class PredictionOutcome:
    prediction: Prediction
    # True when an earlier request with the same Idempotency-Key answered (no charge now).
    replayed: bool = False


def request_fingerprint(*, slug: str, rows: Any) -> str:
    """sha256 of the canonical JSON of a request: what an Idempotency-Key is bound to."""
    canonical = json.dumps(
        {"model": slug, "inputs": rows}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def prediction_run(
    *,
    user: Any,
    slug: str,
    rows: Any,
    idempotency_key: str | None = None,
    source: str = Prediction.Source.API,
) -> PredictionOutcome:
    """Run model `slug` on `rows` for `user` and charge price-per-row x rows on success.

    Raises `SchemaError` (bad input: nothing run, nothing recorded), `UnknownCase` /
    `NoProductionVersion` (no such model to serve), `IdempotencyConflict`,
    `PredictionRefused` (recorded as refused) and `PredictionFailed` (recorded as
    failed). A request repeating a spent Idempotency-Key with the same body returns the
    first prediction without charging again.
    """
    started = time.perf_counter()
    case = get_case(slug)
    _check_shape(rows, idempotency_key)
    clean_rows = case.schema.validate_rows(rows)
    request = _PaidRequest(user, slug, rows, clean_rows, idempotency_key, source, started)
    return _run_paid(case, request)


@dataclass(frozen=True)
class _PaidRequest:
    user: Any
    slug: str
    rows: list[Any]
    clean_rows: list[dict[str, Any]]
    idempotency_key: str | None
    source: str
    started: float


def _run_paid(case: Case, request: _PaidRequest) -> PredictionOutcome:
    user, rows, key, started = request.user, request.rows, request.idempotency_key, request.started
    # One query for the version, the wallet and an earlier use of the key (see there).
    context = prediction_context(user=user, slug=request.slug, idempotency_key=key)
    fingerprint = request_fingerprint(slug=request.slug, rows=rows) if key else ""
    if context.earlier_id is not None:
        return _replay(_prediction(context.earlier_id), fingerprint)
    prediction = Prediction(
        id=uuid.uuid4(),
        user=user,
        model_version=context.version,
        source=request.source,
        status=Prediction.Status.SUCCEEDED,
        rows=len(rows),
        inputs=rows,
        cost=context.version.model.price_per_row * len(rows),
        idempotency_key=key or None,
        request_hash=fingerprint,
    )
    # Cheap pre-check without a lock: spares the model run when the wallet clearly
    # cannot pay. The guarded debit in `_charge_and_record` is what actually decides.
    if context.available < prediction.cost:
        _record_refused(prediction, started, balance=context.balance, available=context.available)
    prediction.outputs = _run_model(case, prediction, request.clean_rows, started)
    try:
        _charge_and_record(prediction, started, balance=context.balance)
    except (IntegrityError, InsufficientCredits) as exc:
        # Duplicates with one key that arrive together all pass the context read, run the
        # model and race to charge. The first to commit wins; each other one either finds
        # the wallet emptied by it (on a wallet holding one price) or, its debit done,
        # collides with it on the key's partial unique index, which rolls that charge
        # back with its insert. Either way it answers with the winner's result: one
        # charge, one record, no 402 (no lock is held across the model run for this).
        winner = _succeeded_with_key(user=user, key=key) if key else None
        if winner is not None:
            return _replay(winner, fingerprint)
        if isinstance(exc, IntegrityError):
            raise
        # A concurrent request spent the credits after the pre-check: the result is
        # dropped, not given away.
        prediction.outputs = None
        _record_refused(prediction, started, balance=exc.balance, available=exc.available)
    return PredictionOutcome(prediction=prediction)


def _run_model(
    case: Case, prediction: Prediction, clean_rows: list[dict[str, Any]], started: float
) -> list[dict[str, Any]]:
    """The model's results, outside any transaction; a failure is recorded, not charged."""
    version = prediction.model_version
    try:
        results = case.predict(load_model(version), clean_rows)
        # A case returning values JSON cannot store (NumPy scalars...) is a model failure,
        # caught here rather than after the charge.
        json.dumps(results)
        if len(results) != len(clean_rows):
            raise ValueError(f"{len(results)} results for {len(clean_rows)} rows")
    except Exception as exc:
        logger.exception("Model %s v%s failed", version.model.slug, version.version)
        prediction.status = Prediction.Status.FAILED
        prediction.cost = 0
        prediction.error = f"{type(exc).__name__}: {exc}"[:2000]
        _save(prediction, started)
        raise PredictionFailed(prediction=prediction) from exc
    return results


def _charge_and_record(prediction: Prediction, started: float, *, balance: int) -> None:
    """The guarded charge and the record commit together (on PostgreSQL in one statement,
    see `wallet_charge_with_row`): both or neither. When this returns, they are committed.
    Raises InsufficientCredits, and IntegrityError when the key was spent meanwhile."""
    version = prediction.model_version
    slug = version.model.slug
    if not prediction.cost:
        prediction.balance_after = balance
        _save(prediction, started)
        return
    transfer = wallet_charge_with_row(
        user=prediction.user,
        amount=prediction.cost,
        reference=f"prediction:{prediction.id}",
        revenue_account=revenue_account(slug),
        line=prediction_line(model=slug, version=version.version, rows=prediction.rows),
        row=_record_row(prediction, started),
    )
    prediction.balance_after = transfer.balance_after
    _mark_saved(prediction)


def _check_shape(rows: Any, idempotency_key: str | None) -> None:
    max_rows = settings.PREDICT_MAX_ROWS
    if not isinstance(rows, list) or not rows:
        raise SchemaError({-1: {"inputs": [_("A non-empty list of rows is required.")]}})
    if len(rows) > max_rows:
        raise SchemaError(
            {
                -1: {
                    "inputs": [
                        _("At most %(max)d rows per request; got %(got)d.")
                        % {"max": max_rows, "got": len(rows)}
                    ]
                }
            }
        )
    if idempotency_key is not None and not (
        0 < len(idempotency_key) <= IDEMPOTENCY_KEY_MAX_LENGTH and idempotency_key.isprintable()
    ):
        raise SchemaError(
            {
                -1: {
                    "Idempotency-Key": [
                        _("1 to %(max)d printable characters are required.")
                        % {"max": IDEMPOTENCY_KEY_MAX_LENGTH}
                    ]
                }
            }
        )


def _succeeded_with_key(*, user: Any, key: str) -> Prediction | None:
    return (
        Prediction.objects.select_related("model_version__model")
        .filter(user=user, idempotency_key=key, status=Prediction.Status.SUCCEEDED)
        .first()
    )


def _prediction(prediction_id: uuid.UUID) -> Prediction:
    return Prediction.objects.select_related("model_version__model").get(pk=prediction_id)


def _replay(earlier: Prediction, fingerprint: str) -> PredictionOutcome:
    if earlier.request_hash != fingerprint:
        raise IdempotencyConflict(key=earlier.idempotency_key or "")
    return PredictionOutcome(prediction=earlier, replayed=True)


def _record_refused(prediction: Prediction, started: float, *, balance: int, available: int):
    needed = prediction.cost
    prediction.status = Prediction.Status.REFUSED
    prediction.cost = 0
    prediction.error = (
        f"Not enough credits: needed {format_credits(needed)}, "
        f"available {format_credits(available)}."
    )
    _save(prediction, started)
    raise PredictionRefused(
        prediction=prediction, needed=needed, balance=balance, available=available
    )


def _save(prediction: Prediction, started: float) -> None:
    # What Model.save(force_insert=True) sends, without the query compiler and signals
    # that cost a third of the paid path's own CPU (bench/api.py).
    row = _record_row(prediction, started)
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, [*row.values, prediction.balance_after])
    _mark_saved(prediction)


def _record_row(prediction: Prediction, started: float) -> AttachedRow:
    """The record as the INSERT sends it, balance after the charge apart. Values are
    prepared by each field, so JSON, UUIDs and dates adapt exactly as the ORM does."""
    prediction.latency_ms = round((time.perf_counter() - started) * 1000, 3)
    values = [f.get_db_prep_save(f.pre_save(prediction, True), connection) for f in _FIELDS]
    return AttachedRow(_TABLE, _COLUMNS, values, _BALANCE_COLUMN)


def _mark_saved(prediction: Prediction) -> None:
    prediction._state.adding = False
    prediction._state.db = connection.alias
    # The metrics count what commits: a charge rolled back with its record is never seen.
    send_after_commit(prediction_recorded, sender=Prediction, prediction=prediction)


_TABLE = Prediction._meta.db_table
_BALANCE_FIELD = Prediction._meta.get_field("balance_after")
_BALANCE_COLUMN = connection.ops.quote_name(_BALANCE_FIELD.column)
# Every column but the balance, which comes last (from the charge, or given).
_FIELDS = [f for f in Prediction._meta.concrete_fields if f is not _BALANCE_FIELD]
_COLUMNS = tuple(connection.ops.quote_name(f.column) for f in _FIELDS)
_INSERT_SQL = (
    f"INSERT INTO {_TABLE} ({', '.join(_COLUMNS)}, {_BALANCE_COLUMN}) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * (len(_COLUMNS) + 1))})"
)
