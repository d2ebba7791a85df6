"""Batch jobs on the website: upload and check, confirm, watch, download, cancel."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.tests.factories import UserFactory
from billing.selectors import wallet_balance
from predictions.batch.worker import batch_job_run
from predictions.models import BatchJob


@pytest.fixture
def web(client, funded_user):
    client.force_login(funded_user)
    return client


def post_file(web, content: bytes):
    return web.post(
        reverse("predictions:batch_new"),
        {"model": "tiny", "file": SimpleUploadedFile("mine.csv", content)},
    )


@pytest.mark.django_db
def test_uploading_shows_the_row_count_and_maximum_cost_before_anything_is_held(
    web, funded_user, served
):
    response = post_file(web, b"x1,x2\n1,2\n3,4\n5,6\n")

    job = BatchJob.objects.get()
    assert response.status_code == 302
    page = web.get(response["Location"]).content.decode()
    assert "3 rows to predict." in page
    assert "costs at most 0.21 credits" in page
    assert job.status == BatchJob.Status.DRAFT
    assert wallet_balance(user=funded_user).held == 0


@pytest.mark.django_db
def test_header_problems_are_listed_by_column_name(web, served):
    response = post_file(web, b"x2,colour\n1,red\n")

    page = response.content.decode()
    assert response.status_code == 400
    assert "Unknown columns: colour." in page
    assert "Missing columns: x1." in page
    assert not BatchJob.objects.exists()


@pytest.mark.django_db
def test_confirming_holds_the_cost_and_queues_the_job(
    web, funded_user, served, enqueued, django_capture_on_commit_callbacks
):
    post_file(web, b"x1,x2\n1,2\n3,4\n")
    job = BatchJob.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        web.post(reverse("predictions:batch_confirm", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == BatchJob.Status.QUEUED
    assert wallet_balance(user=funded_user).held == 14
    assert enqueued == [("predictions.batch.tasks.batch_job_run_task", job.pk)]


@pytest.mark.django_db
def test_confirming_without_enough_credits_says_so_and_holds_nothing(client, served, enqueued):
    poor = UserFactory()
    client.force_login(poor)
    post_file(client, b"x1,x2\n1,2\n")
    job = BatchJob.objects.get()

    response = client.post(reverse("predictions:batch_confirm", args=[job.pk]), follow=True)

    assert "Your wallet cannot cover this job" in response.content.decode()
    job.refresh_from_db()
    assert job.status == BatchJob.Status.DRAFT
    assert job.hold_id is None


@pytest.mark.django_db
def test_the_job_page_shows_progress_and_the_download_once_done(web, served, enqueued):
    post_file(web, b"x1,x2\n1,2\n3,4\n")
    job = BatchJob.objects.get()
    web.post(reverse("predictions:batch_confirm", args=[job.pk]))
    batch_job_run(job_id=job.pk)

    page = web.get(reverse("predictions:batch_detail", args=[job.pk])).content.decode()
    status = web.get(reverse("predictions:batch_status", args=[job.pk])).json()
    download = web.get(reverse("predictions:batch_result", args=[job.pk]))

    assert reverse("predictions:batch_result", args=[job.pk]) in page
    assert status["status"] == "done"
    assert (status["rows_done"], status["percent"], status["charged"]) == (2, 100, "0.14")
    assert status["result_ready"] is True
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="batch-' in download["Content-Disposition"]
    jobs_page = web.get(reverse("predictions:batch_list")).content.decode()
    assert "mine.csv" in jobs_page


@pytest.mark.django_db
def test_the_status_a_page_polls_is_in_the_readers_format_and_drops_the_settled_hold(
    web, funded_user, served, enqueued
):
    post_file(web, b"x1,x2\n1,2\n3,4\n")
    job = BatchJob.objects.get()
    web.post(reverse("predictions:batch_confirm", args=[job.pk]))
    url = reverse("predictions:batch_status", args=[job.pk])
    queued = web.get(url, HTTP_ACCEPT_LANGUAGE="ru").json()

    batch_job_run(job_id=job.pk)
    done = web.get(url, HTTP_ACCEPT_LANGUAGE="ru").json()

    assert (queued["status_label"], queued["held"], queued["elapsed"]) == (
        "в очереди",
        "0,14",
        None,
    )
    assert queued["balance"] == "100,00"
    assert (done["status_label"], done["held"], done["charged"]) == ("готово", None, "0,14")
    assert done["balance"] == "99,86"
    assert float(done["elapsed"].replace(",", ".")) >= 0
    assert "," in done["elapsed"]


@pytest.mark.django_db
def test_the_cancel_button_cancels_a_queued_job(web, funded_user, served, enqueued):
    post_file(web, b"x1,x2\n1,2\n")
    job = BatchJob.objects.get()
    web.post(reverse("predictions:batch_confirm", args=[job.pk]))

    web.post(reverse("predictions:batch_cancel", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == BatchJob.Status.CANCELLED
    assert wallet_balance(user=funded_user).held == 0


@pytest.mark.django_db
def test_another_users_job_pages_are_not_found(web, served):
    post_file(web, b"x1,x2\n1,2\n")
    job = BatchJob.objects.get()
    web.force_login(UserFactory())

    for name in ("batch_detail", "batch_status", "batch_result"):
        assert web.get(reverse(f"predictions:{name}", args=[job.pk])).status_code == 404
    for name in ("batch_confirm", "batch_cancel"):
        assert web.post(reverse(f"predictions:{name}", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_the_navigation_links_batches_for_signed_in_users_only(client, funded_user):
    url = reverse("predictions:batch_list")
    assert url not in client.get(reverse("home")).content.decode()
    client.force_login(funded_user)
    assert url in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_a_russian_reader_sees_prices_and_shortfalls_with_a_decimal_comma(client, served, enqueued):
    poor = UserFactory(language="ru")
    client.force_login(poor)
    form = client.get(reverse("predictions:batch_new"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    post_file(client, b"x1,x2\n1,2\n")
    job = BatchJob.objects.get()

    response = client.post(
        reverse("predictions:batch_confirm", args=[job.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="ru"
    )

    assert "(0,07 кредита за строку)" in form
    page = response.content.decode()
    assert "На кошельке не хватает кредитов для этого задания: нужно 0,07" in page  # noqa: RUF001
    assert "0.07" not in page
