from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language

from accounts.forms import ApiTokenCreateForm
from accounts.models import ApiToken
from accounts.selectors import api_token_list
from accounts.services import api_token_create, api_token_revoke, user_language_remember


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


# A key just created waits here for the one page that shows it: post, redirect, get, so a
# reload never creates another token.
NEW_TOKEN_SESSION_FIELD = "new_token_key"  # noqa: S105 (a session field name, no secret)


# never_cache: the page that may carry a new key must not linger in any cache.
@never_cache
@require_GET
@login_required
def my_account(request: HttpRequest) -> HttpResponse:
    # Popped: the key is in the session only until this page has shown it once.
    new_token_key = request.session.pop(NEW_TOKEN_SESSION_FIELD, None)
    return _render_my_account(request, ApiTokenCreateForm(), new_token_key=new_token_key)


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
    request.session[NEW_TOKEN_SESSION_FIELD] = key
    return redirect("my_account")


@require_http_methods(["GET", "POST"])
@login_required
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    """GET asks "revoke it?"; POST revokes: a revoked key cannot be brought back."""
    if request.method == "GET":
        token = api_token_list(user=request.user).filter(pk=token_id, revoked_at=None).first()
        if token is None:
            raise Http404
        return render(request, "accounts/token_revoke.html", {"token": token})
    try:
        token = api_token_revoke(user=request.user, token_id=token_id)
    except ApiToken.DoesNotExist as error:
        raise Http404 from error
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("my_account")


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """The footer's switcher: Django's set_language, which checks the language and the
    `next` address and sets the cookie; a logged-in person's emails follow the choice."""
    response = set_language(request)
    chosen = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    # set_language accepts any language Django has a catalogue for; the site has two.
    offered = chosen is not None and chosen.value in dict(settings.LANGUAGES)
    if offered and request.user.is_authenticated:
        user_language_remember(user=request.user, language=chosen.value)
    return response
