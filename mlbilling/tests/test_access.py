"""Attacker's sweep: another user's objects are 404, operator pages are staff-only, and
every POST refuses a request without a CSRF token. Routes are enumerated from the URL
configuration, so a route added without a place in these sweeps fails a test here."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import ApiToken
from accounts.services import api_token_create
from accounts.tests.factories import UserFactory
from billing.models import TopUp, TopUpState
from billing.services.topups import topup_create
from billing.services.wallets import wallet_grant
from mlbilling.tests.routes import Route, routes
from predictions.batch.services import batch_job_create, batch_upload_check
from predictions.batch.worker import batch_job_run
from predictions.models import BatchJob, Prediction
from predictions.serving.services import prediction_run

pytestmark = pytest.mark.django_db

OBJECT_CONVERTERS = {"int", "uuid"}


@dataclass
class Owned:
    """What the owner has; every id here is the owner's."""

    topup: TopUp
    token: ApiToken
    grant_reference: str
    prediction: Prediction
    job: BatchJob


@pytest.fixture
def owner():
    return UserFactory()


def _finished_batch(user) -> BatchJob:
    upload = SimpleUploadedFile("owners-rows.csv", b"x1,x2\n1,2\n3,4\n")
    check = batch_upload_check(model_slug="tiny", upload=upload)
    job, _created = batch_job_create(
        user=user, check=check, upload=upload, original_name=upload.name, confirm=True
    )
    return batch_job_run(job_id=job.pk)


@pytest.fixture
def owned(owner, served, enqueued) -> Owned:
    grant = wallet_grant(user=owner, amount=5_000, reason="owner's money")
    token, _key = api_token_create(user=owner, name="owner's token")
    return Owned(
        topup=topup_create(user=owner, amount=1_000),
        token=token,
        grant_reference=grant.reference,
        prediction=prediction_run(user=owner, slug="tiny", rows=[{"x1": 1, "x2": 2}]).prediction,
        job=_finished_batch(owner),
    )


@pytest.fixture
def intruder_client() -> Client:
    client = Client()
    client.force_login(UserFactory())
    return client


@dataclass(frozen=True)
class Probe:
    route_name: str
    method: str
    path: Callable[[Owned], str]
    data: dict[str, Any] | None = None


# One probe per way in to an object; route names tie them to the URL configuration.
PROBES = [
    Probe("topup_detail", "get", lambda o: f"/billing/top-up/{o.topup.pk}/"),
    Probe("sandbox_checkout", "get", lambda o: f"/billing/sandbox/checkout/{o.topup.pk}/"),
    Probe(
        "sandbox_checkout",
        "post",
        lambda o: f"/billing/sandbox/checkout/{o.topup.pk}/",
        {"decision": "pay"},
    ),
    Probe("api_topup", "get", lambda o: f"/api/v1/topups/{o.topup.pk}"),
    Probe("api_token_revoke", "post", lambda o: f"/account/tokens/{o.token.pk}/revoke/"),
    Probe("detail", "get", lambda o: f"/predictions/{o.prediction.pk}/"),
    Probe("api_prediction", "get", lambda o: f"/api/v1/predictions/{o.prediction.pk}"),
    *(
        Probe(name, "get", lambda o, part=part: f"/batches/{o.job.pk}/{part}")
        for name, part in [
            ("batch_detail", ""),
            ("batch_status", "status/"),
            ("batch_result", "result/"),
        ]
    ),
    Probe("batch_confirm", "post", lambda o: f"/batches/{o.job.pk}/confirm/"),
    Probe("batch_cancel", "post", lambda o: f"/batches/{o.job.pk}/cancel/"),
    Probe("api_batch_detail", "get", lambda o: f"/api/v1/batches/{o.job.pk}"),
    Probe("api_batch_result", "get", lambda o: f"/api/v1/batches/{o.job.pk}/result"),
    Probe("api_batch_cancel", "post", lambda o: f"/api/v1/batches/{o.job.pk}/cancel"),
]

# Routes with an object id that are public by design, and why.
PUBLIC_OBJECT_ROUTES = {
    "model_figure": "model-card figures of active models are public, like the card",
}


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: f"{p.method} {p.route_name}")
def test_another_users_object_is_not_found(intruder_client, owned, probe):
    response = getattr(intruder_client, probe.method)(probe.path(owned), probe.data or {})

    assert response.status_code == 404


def test_the_owner_reaches_every_probed_object(owner, owned):
    client = Client()
    client.force_login(owner)

    for probe in PROBES:
        if probe.method == "get":
            assert client.get(probe.path(owned)).status_code == 200, probe


@pytest.mark.parametrize("path", ["/batches/{pk}/result/", "/api/v1/batches/{pk}/result"])
def test_a_result_file_is_downloaded_as_csv_never_rendered(owner, owned, path):
    client = Client()
    client.force_login(owner)

    response = client.get(path.format(pk=owned.job.pk))

    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_intruders_attempts_changed_nothing(intruder_client, owned):
    for probe in PROBES:
        getattr(intruder_client, probe.method)(probe.path(owned), probe.data or {})

    owned.topup.refresh_from_db()
    owned.token.refresh_from_db()
    owned.job.refresh_from_db()
    assert owned.topup.state == TopUpState.PENDING
    assert owned.token.revoked_at is None
    assert owned.job.status == BatchJob.Status.DONE


@pytest.mark.parametrize(
    "path",
    [
        "/billing/statement/",
        "/billing/statement.csv",
        "/api/v1/transactions",
        "/predictions/",
        "/api/v1/predictions",
        "/batches/",
        "/api/v1/batches",
        "/dashboard/predictions.csv",
    ],
)
def test_lists_show_only_the_callers_own_records(intruder_client, owner, owned, path):
    owners = Client()
    owners.force_login(owner)

    def body(client: Client) -> bytes:
        response = client.get(path)
        assert response.status_code == 200
        return b"".join(response.streaming_content) if response.streaming else response.content

    # The owner's list names the record (by reference or id); the intruder's does not.
    marks = [
        owned.grant_reference.encode(),
        str(owned.prediction.pk).encode(),
        owned.job.original_name.encode(),
    ]
    assert any(mark in body(owners) for mark in marks)
    assert not any(mark in body(intruder_client) for mark in marks)


def test_the_account_page_lists_only_the_callers_own_tokens(intruder_client, owned):
    response = intruder_client.get("/account/")

    assert owned.token.prefix not in response.content.decode()


def test_every_route_with_an_object_id_is_swept():
    probed = {probe.route_name for probe in PROBES}
    with_ids = {
        route.name
        for route in routes()
        if not route.route.startswith("admin/")
        and any(converter in OBJECT_CONVERTERS for converter, _name in route.parameters)
    }

    assert with_ids - probed - set(PUBLIC_OBJECT_ROUTES) == set()


# --- operator pages -----------------------------------------------------------------------

ADMIN_PUBLIC = {"login", "logout"}


def _filled(route: Route) -> str:
    values = {name: uuid.uuid4() if conv == "uuid" else 1 for conv, name in route.parameters}
    return route.path(**values)


ADMIN_ROUTES = [r for r in routes() if r.route.startswith("admin/") and r.name not in ADMIN_PUBLIC]


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=lambda r: r.route)
def test_operator_pages_send_a_signed_in_customer_to_the_staff_login(intruder_client, route):
    response = intruder_client.get(_filled(route))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_operator_pages_open_for_staff():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/billing/transfer/").status_code == 200


# --- CSRF ---------------------------------------------------------------------------------

# POST routes that take no CSRF token, and why.
CSRF_EXEMPT = {
    "payment_callback": "server-to-server from the provider, authenticated by its signature",
    "api_auth_token": "no session: the email and password are in the body",
}


@pytest.mark.parametrize(
    "route", [r for r in routes() if r.name not in CSRF_EXEMPT], ids=lambda r: r.route
)
def test_every_post_without_a_csrf_token_is_refused(route):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.post(_filled(route), {})

    assert response.status_code == 403
    if route.name != "api_docs":  # its HTML renderer shows no detail
        assert b"CSRF" in response.content


def test_the_csrf_exemptions_name_existing_routes():
    assert set(CSRF_EXEMPT) <= {route.name for route in routes()}


def test_a_post_with_the_csrf_token_is_accepted():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    client.get("/billing/top-up/")

    response = client.post(
        "/billing/top-up/",
        {"amount": "10.00", "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )

    assert response.status_code == 302
    assert TopUp.objects.count() == 1
