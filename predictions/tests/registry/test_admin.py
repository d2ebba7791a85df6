from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from predictions.models import BatchJob, MLModel, ModelVersion
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


def test_staff_change_the_price_of_a_model_in_credits(staff_client, register_tiny):
    model = register_tiny().model
    change = reverse("admin:predictions_mlmodel_change", args=[model.pk])

    staff_client.post(
        change,
        {"title": model.title, "description": "", "price_per_row": "0.25", "is_active": "on"},
    )

    assert MLModel.objects.get(pk=model.pk).price_per_row == 25
    assert 'name="price_per_row" value="0.25"' in staff_client.get(change).content.decode()


def test_a_paid_prediction_and_the_price_show_credits_in_the_admin(staff_client, served, customer):
    from predictions.serving.services import prediction_run

    prediction = prediction_run(user=customer, slug="tiny", rows=[{"x1": 1.0}] * 3).prediction
    pages = [
        reverse("admin:predictions_prediction_change", args=[prediction.pk]),
        reverse("admin:predictions_prediction_changelist"),
    ]
    texts = [staff_client.get(url).content.decode() for url in pages]

    assert "0.21 credits" in texts[0]  # the cost: 3 rows at 0.07
    assert "0.79 credits" in texts[0]  # the balance after, from 1.00
    assert "0.21 credits" in texts[1]
    changelist = staff_client.get(reverse("admin:predictions_mlmodel_changelist")).content
    assert b'value="0.07"' in changelist


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


def test_a_batch_job_shows_its_price_and_maximum_cost_in_credits(
    staff_client, served, token_client, enqueued
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = SimpleUploadedFile("rows.csv", b"x1,x2\n1,2\n3,4\n5,6\n", content_type="text/csv")
    job_id = token_client.post(
        "/api/v1/batches", {"model": "tiny", "file": rows}, format="multipart"
    ).json()["id"]

    page = staff_client.get(reverse("admin:predictions_batchjob_change", args=[job_id]))
    listing = staff_client.get(reverse("admin:predictions_batchjob_changelist"))

    assert "0.07 credits" in page.content.decode()  # the price per row
    assert "0.21 credits" in page.content.decode()  # the maximum cost, 3 rows
    assert "0.21 credits" in listing.content.decode()
    # The page saves nothing (a whole-row write would race the worker); the action cancels.
    change = reverse("admin:predictions_batchjob_change", args=[job_id])
    assert staff_client.post(change, {"status": "done"}).status_code == 403
    staff_client.post(
        reverse("admin:predictions_batchjob_changelist"),
        {"action": "cancel_jobs", "_selected_action": [job_id]},
    )
    assert BatchJob.objects.get(pk=job_id).status == BatchJob.Status.CANCELLED
