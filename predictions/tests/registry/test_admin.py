from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from predictions.models import MLModel, ModelVersion
from predictions.registry.artifacts import artifact_dumps
from predictions.registry.selectors import production_version
from predictions.registry.services import model_version_promote

pytestmark = pytest.mark.django_db

Status = ModelVersion.Status
CHANGELIST = "admin:predictions_modelversion_changelist"
UPLOAD = "admin:predictions_modelversion_upload"


def test_staff_promote_a_version_from_the_list(staff_client, register_tiny):
    first, second = register_tiny(), register_tiny()
    model_version_promote(version_id=first.pk)

    staff_client.post(reverse(CHANGELIST), {"action": "promote", "_selected_action": [second.pk]})

    assert production_version(slug="tiny").pk == second.pk


def test_promoting_needs_exactly_one_version(staff_client, register_tiny):
    first, second = register_tiny(), register_tiny()

    staff_client.post(
        reverse(CHANGELIST), {"action": "promote", "_selected_action": [first.pk, second.pk]}
    )

    assert not ModelVersion.objects.filter(status=Status.PRODUCTION).exists()


def test_staff_roll_back_from_the_list(staff_client, register_tiny):
    first, second = register_tiny(), register_tiny()
    model_version_promote(version_id=first.pk)
    model_version_promote(version_id=second.pk)

    staff_client.post(reverse(CHANGELIST), {"action": "roll_back", "_selected_action": [second.pk]})

    assert production_version(slug="tiny").pk == first.pk


def test_staff_change_the_price_of_a_model(staff_client, register_tiny):
    model = register_tiny().model

    staff_client.post(
        reverse("admin:predictions_mlmodel_change", args=[model.pk]),
        {"title": model.title, "description": "", "price_per_row": 25, "is_active": "on"},
    )

    assert MLModel.objects.get(pk=model.pk).price_per_row == 25


def test_staff_upload_an_artifact_that_serves_the_case(staff_client, tiny_case):
    data = tiny_case.load_training_data(settings.DATASETS_DIR)
    content = artifact_dumps(case=tiny_case, model=tiny_case.fit_production(data))

    response = staff_client.post(
        reverse(UPLOAD),
        {"case": "tiny", "artifact": SimpleUploadedFile("tiny.joblib", content)},
    )

    version = ModelVersion.objects.get()
    assert response.status_code == 302
    assert version.status == Status.CANDIDATE


def test_an_invalid_upload_is_shown_on_the_form(staff_client, tiny_case):
    response = staff_client.post(
        reverse(UPLOAD), {"case": "tiny", "artifact": SimpleUploadedFile("x.joblib", b"junk")}
    )

    assert response.status_code == 200
    assert "does not load with joblib" in response.content.decode()
    assert not ModelVersion.objects.exists()


def test_people_who_are_not_staff_cannot_reach_the_upload(client, django_user_model, tiny_case):
    user = django_user_model.objects.create_user(email="u@example.com", password="x")
    client.force_login(user)

    response = client.get(reverse(UPLOAD))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_staff_see_versions_their_details_and_the_upload_form(staff_client, trained_tiny):
    listing = staff_client.get(reverse(CHANGELIST), {"status__exact": "production", "q": "tiny"})
    detail = staff_client.get(
        reverse("admin:predictions_modelversion_change", args=[trained_tiny.pk])
    )
    upload = staff_client.get(reverse(UPLOAD))

    assert listing.status_code == detail.status_code == upload.status_code == 200
    assert trained_tiny.sha256[:12] in listing.content.decode()
    assert reverse(UPLOAD) in listing.content.decode()
    assert trained_tiny.sha256 in detail.content.decode()
    assert 'type="file"' in upload.content.decode()
