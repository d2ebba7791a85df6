"""Every name the admin shows for our apps has a Russian translation: the app, its models,
the columns and fields of each model's pages, their filters, fieldsets and actions. The
page sweep finds an English text of the catalogue on a Russian page; this finds a name
that never reached the catalogue."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path, label_for_field
from django.test import RequestFactory
from django.utils import translation

from accounts.models import User

OUR_APPS = {"accounts", "billing", "predictions"}
# Names that are the same in both languages: identifiers, not words.
SAME_IN_RUSSIAN = {"ID", "id", "sha256"}
CYRILLIC = re.compile("[\u0400-\u04ff]")


def _admin_names(request) -> list[tuple[str, str]]:
    """(where, name) of every name the admin shows for a model of our apps."""
    names = []
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        if meta.app_label not in OUR_APPS:
            continue
        where = meta.label
        names += [
            (f"{where} app", meta.app_config.verbose_name),
            (f"{where} model", meta.verbose_name),
            (f"{where} models", meta.verbose_name_plural),
        ]
        instance = model()
        shown = {*model_admin.get_list_display(request), *model_admin.get_fields(request, instance)}
        for name in shown - {"action_checkbox"}:
            names.append((f"{where}.{name}", label_for_field(name, model, model_admin)))
        for name in model_admin.get_list_filter(request):
            # A filter is titled by the last field of its path ("model_version__model").
            field = get_fields_from_path(model, name[0] if isinstance(name, tuple) else name)
            names.append((f"{where} filter {name}", field[-1].verbose_name))
        for title, _options in model_admin.get_fieldsets(request, instance):
            if title:
                names.append((f"{where} fieldset", title))
        for action, (_function, _name, description) in model_admin.get_actions(request).items():
            names.append((f"{where} action {action}", description))
    return names


@pytest.mark.django_db
def test_every_admin_name_of_our_apps_is_russian():
    request = RequestFactory().get("/admin/")
    request.user = User(is_staff=True, is_superuser=True, is_active=True)

    with translation.override("ru"):
        names = [(where, str(name)) for where, name in _admin_names(request)]

    english = [
        (where, name)
        for where, name in names
        if name not in SAME_IN_RUSSIAN and not CYRILLIC.search(name)
    ]
    assert len(names) > 100
    assert english == []
