from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.forms import ApiTokenCreateForm
from accounts.models import ApiToken
from accounts.selectors import api_token_list
from accounts.services import api_token_create, api_token_revoke


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def _render_my_account(
    request: HttpRequest, form: ApiTokenCreateForm, new_token_key: str | None = None
) -> HttpResponse:
    return render(
        request,
        "accounts/my_account.html",
        {
            "form": form,
            "tokens": api_token_list(user=request.user),
            "new_token_key": new_token_key,
        },
    )


@require_GET
@login_required
def my_account(request: HttpRequest) -> HttpResponse:
    return _render_my_account(request, ApiTokenCreateForm())


# never_cache: the response that carries a new key must not linger in any cache.
@never_cache
@require_POST
@login_required
def api_token_create_view(request: HttpRequest) -> HttpResponse:
    form = ApiTokenCreateForm(request.POST)
    if not form.is_valid():
        return _render_my_account(request, form)
    _token, key = api_token_create(
        user=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at()
    )
    # Rendered, not redirected: the key exists only in this response and is never stored.
    return _render_my_account(request, ApiTokenCreateForm(), new_token_key=key)


@require_POST
@login_required
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = api_token_revoke(user=request.user, token_id=token_id)
    except ApiToken.DoesNotExist as error:
        raise Http404 from error
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("my_account")
