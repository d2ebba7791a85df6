"""Website pages: top up, the sandbox checkout, the statement and its CSV."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.errors import BillingError, PaymentsUnavailable, TooManyPendingTopUps, TopUpNotFound
from billing.forms import LowBalanceForm, StatementFilterForm, TopUpForm
from billing.models import TopUpState, Transfer
from billing.money import credits_number, format_credits
from billing.pricing import price_text
from billing.providers import InvalidCallback
from billing.providers.sandbox import SandboxProvider
from billing.selectors import (
    topups_of,
    wallet_balance,
    wallet_low_balance_threshold,
    wallet_statement,
)
from billing.services.topups import topup_callback_process, topup_create
from billing.services.wallets import wallet_set_low_balance_threshold
from billing.statement_lines import line_words
from mlbilling.csv_export import streaming_csv_response


@login_required
def topup(request: HttpRequest) -> HttpResponse:
    form = TopUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = topup_create(user=request.user, amount=form.cleaned_data["amount"])
        except (PaymentsUnavailable, TooManyPendingTopUps) as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(created.checkout_url)
    # The amount as the form reads it ("25.00"), the units for the page's own formatting.
    packages = [
        {"amount": format_credits(units), "units": units}
        for units in settings.BILLING_TOPUP_PACKAGES
    ]
    return render(
        request,
        "billing/topup.html",
        {
            "form": form,
            "packages": packages,
            "credit_price": price_text(100),
            "wallet": wallet_balance(user=request.user),
        },
    )


@login_required
def topup_detail(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(topups_of(user=request.user), pk=pk)
    return render(request, "billing/topup_detail.html", {"topup": found})


@login_required
def sandbox_checkout(request: HttpRequest, pk: int) -> HttpResponse:
    """The sandbox provider's own page. Paying or declining sends the signed callback that
    a real provider would send from its servers, through the same code path."""
    found = get_object_or_404(topups_of(user=request.user).filter(provider="sandbox"), pk=pk)
    if request.method == "POST" and found.state == TopUpState.PENDING:
        body, headers = SandboxProvider().signed_callback(
            found, paid=request.POST.get("decision") == "pay"
        )
        found = topup_callback_process(provider="sandbox", body=body, headers=headers)
        if found.state == TopUpState.SUCCEEDED:
            messages.success(
                request,
                _("%(amount)s credits added to your balance.")
                % {"amount": credits_number(found.amount)},
            )
        return redirect("billing:topup_detail", pk=found.pk)
    return render(request, "billing/sandbox_checkout.html", {"topup": found})


@csrf_exempt
@require_POST
def payment_callback(request: HttpRequest, provider: str) -> HttpResponse:
    """Server-to-server confirmation from a payment provider (signed, so no CSRF token)."""
    try:
        result = topup_callback_process(
            provider=provider, body=request.body, headers=request.headers
        )
    except InvalidCallback:
        return HttpResponse("invalid callback", status=400, content_type="text/plain")
    except TopUpNotFound:
        return HttpResponse("unknown top-up", status=404, content_type="text/plain")
    except BillingError as exc:
        return HttpResponse(str(exc), status=409, content_type="text/plain")
    if result.state == TopUpState.EXPIRED:
        return HttpResponse("top-up expired", status=409, content_type="text/plain")
    return HttpResponse(result.state, content_type="text/plain")


def _filtered_statement(request: HttpRequest) -> tuple[StatementFilterForm, QuerySet[Transfer]]:
    form = StatementFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    return form, wallet_statement(user=request.user, **filters).select_related("wallet")


@login_required
def statement(request: HttpRequest) -> HttpResponse:
    form, transfers = _filtered_statement(request)
    page = Paginator(transfers, 50).get_page(request.GET.get("page"))
    threshold = wallet_low_balance_threshold(user=request.user)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "billing/statement.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "wallet": wallet_balance(user=request.user),
            "alert_form": LowBalanceForm(
                initial={"threshold": "" if threshold is None else format_credits(threshold)}
            ),
        },
    )


def _csv_rows(transfers: QuerySet[Transfer]) -> Iterator[list[object]]:
    yield ["id", "date", "kind", "reference", "description", "note", "amount", "balance_after"]
    for transfer in transfers.iterator(chunk_size=500):
        yield [
            transfer.pk,
            transfer.created_at.isoformat(),
            transfer.kind,
            transfer.reference,
            line_words(transfer),
            transfer.description,
            format_credits(transfer.signed_amount),
            format_credits(transfer.balance_after),
        ]


@login_required
def statement_csv(request: HttpRequest) -> StreamingHttpResponse:
    _form, transfers = _filtered_statement(request)
    return streaming_csv_response(_csv_rows(transfers), filename="statement.csv")


@login_required
@require_POST
def low_balance_alert(request: HttpRequest) -> HttpResponse:
    form = LowBalanceForm(request.POST)
    if form.is_valid():
        wallet_set_low_balance_threshold(
            user=request.user, threshold=form.cleaned_data["threshold"]
        )
        messages.success(request, _("Low-balance email saved."))
    else:
        messages.error(request, "; ".join(form.errors["threshold"]))
    return redirect("billing:statement")
