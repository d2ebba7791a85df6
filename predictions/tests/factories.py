"""Rows of the predictions app. Predictions and batch jobs at an arbitrary past moment have
no service of their own, so they are created directly; money goes through billing's services
(the ledger must reconcile)."""

from __future__ import annotations

import uuid

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from predictions.models import BatchJob, MLModel, ModelVersion, Prediction


class MLModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MLModel
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"model-{n}")
    title = factory.LazyAttribute(lambda o: o.slug.title())
    price_per_row = 10


class ModelVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelVersion

    model = factory.SubFactory(MLModelFactory)
    version = factory.Sequence(lambda n: n + 1)
    artifact = "models/none.joblib"
    sha256 = "0" * 64
    trained_at = factory.LazyFunction(timezone.now)
    status = ModelVersion.Status.PRODUCTION


class PredictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prediction

    id = factory.LazyFunction(uuid.uuid4)
    user = factory.SubFactory(UserFactory)
    model_version = factory.SubFactory(ModelVersionFactory)
    status = Prediction.Status.SUCCEEDED
    rows = 1
    inputs = factory.LazyFunction(lambda: [{"x": 1}])
    cost = factory.LazyAttribute(lambda o: 10 if o.status == Prediction.Status.SUCCEEDED else 0)
    latency_ms = 5.0
    created_at = factory.LazyFunction(timezone.now)


class BatchJobFactory(factory.django.DjangoModelFactory):
    """A draft job (no hold needed); give `status` and a `hold` for the others."""

    class Meta:
        model = BatchJob

    user = factory.SubFactory(UserFactory)
    model_version = factory.SubFactory(ModelVersionFactory)
    model = factory.LazyAttribute(lambda o: o.model_version.model)
    original_name = "rows.csv"
    input_file = "batches/rows.csv"
    input_size = 100
    input_sha256 = "0" * 64
    rows_total = 100
    price_per_row = 10
    max_cost = factory.LazyAttribute(lambda o: o.rows_total * o.price_per_row)
