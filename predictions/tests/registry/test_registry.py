from __future__ import annotations

import gc
import hashlib
import sys
import threading
import time
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from unittest import mock

import joblib
import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from predictions.models import MLModel, ModelVersion
from predictions.registry import artifacts
from predictions.registry import services as registry_services
from predictions.registry.artifacts import artifact_dumps, load_model
from predictions.registry.errors import (
    ArtifactTampered,
    InvalidArtifact,
    NoPreviousVersion,
    NoProductionVersion,
)
from predictions.registry.selectors import model_list, production_version
from predictions.registry.services import (
    model_version_promote,
    model_version_rollback,
    model_version_upload,
)

pytestmark = pytest.mark.django_db

Status = ModelVersion.Status


def _artifact_path(version: ModelVersion) -> Path:
    return Path(settings.MEDIA_ROOT) / version.artifact.name


def test_it_stores_the_artifact_under_the_model_folder_with_its_sha256(register_tiny):
    version = register_tiny(roc_auc=0.9)

    path = _artifact_path(version)
    assert path.parent == Path(settings.MEDIA_ROOT) / "models" / "tiny"
    assert path.name.startswith("1-")
    assert path.suffix == ".joblib"
    assert version.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert version.status == Status.CANDIDATE
    assert version.input_schema["required"] == ["x1"]
    assert set(version.library_versions) >= {"python", "scikit-learn", "xgboost", "numpy"}


def test_it_numbers_versions_per_model_and_prices_the_model_from_the_case(register_tiny):
    first, second = register_tiny(), register_tiny()

    assert (first.version, second.version) == (1, 2)
    assert MLModel.objects.get(slug="tiny").price_per_row == 7


def test_a_loaded_model_predicts_the_case_example(tiny_case, register_tiny):
    version = register_tiny()

    model = load_model(version)
    result = tiny_case.predict(model, tiny_case.schema.validate_rows([tiny_case.example]))

    assert result[0]["label"] == "high"


def test_it_refuses_a_tampered_artifact_before_unpickling_it(register_tiny):
    version = register_tiny()
    path = _artifact_path(version)
    path.write_bytes(path.read_bytes() + b"\x00")

    with mock.patch.object(artifacts.joblib, "load") as unpickle, pytest.raises(ArtifactTampered):
        load_model(version)

    unpickle.assert_not_called()


def test_an_artifact_naming_code_that_moved_away_asks_to_be_retrained(
    register_tiny, tiny_case, monkeypatch
):
    version = register_tiny()
    # A class of an older code layout, importable only while the artifact is written.
    old_layout = types.ModuleType("predictions.cases.gone")
    old_model = type("OldModel", (), {"__module__": old_layout.__name__, "n_features_in_": 1})
    old_layout.OldModel = old_model
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, old_layout.__name__, old_layout)
        content = artifact_dumps(case=tiny_case, model=old_model())
    _artifact_path(version).write_bytes(content)
    version.sha256 = hashlib.sha256(content).hexdigest()

    with pytest.raises(InvalidArtifact, match="train_models --case tiny"):
        load_model(version)


def test_it_refuses_an_artifact_replaced_by_another_valid_one(register_tiny):
    first, second = register_tiny(roc_auc=0.9), register_tiny(roc_auc=0.5)
    _artifact_path(first).write_bytes(_artifact_path(second).read_bytes())

    with pytest.raises(ArtifactTampered):
        load_model(first)


def test_loaded_models_are_cached_per_version_id(register_tiny):
    first, second = register_tiny(), register_tiny()
    model = load_model(first)

    with mock.patch.object(artifacts.joblib, "load") as unpickle:
        again = load_model(ModelVersion.objects.get(pk=first.pk))
    other = load_model(second)

    unpickle.assert_not_called()
    assert again is model
    assert other is not model


def test_a_loaded_model_is_left_out_of_the_collectors_walks(register_tiny):
    version = register_tiny()
    gc.unfreeze()
    try:
        model = load_model(version)

        # Frozen objects sit in the permanent generation, which no collection walks and
        # gc.get_objects() does not list.
        assert gc.is_tracked(model)
        assert gc.get_freeze_count() > 0
        assert not any(tracked is model for tracked in gc.get_objects())
    finally:
        gc.unfreeze()


def test_production_version_raises_when_none_is_promoted(register_tiny):
    register_tiny()

    with pytest.raises(NoProductionVersion):
        production_version(slug="tiny")


def test_promoting_a_version_archives_the_previous_production_one(register_tiny):
    first, second = register_tiny(), register_tiny()
    model_version_promote(version_id=first.pk)

    model_version_promote(version_id=second.pk)

    first.refresh_from_db()
    assert first.status == Status.ARCHIVED
    assert production_version(slug="tiny").pk == second.pk


def test_rolling_back_serves_the_previous_archived_version_again(register_tiny):
    versions = [register_tiny() for _ in range(3)]
    for version in versions:
        model_version_promote(version_id=version.pk)

    assert model_version_rollback(slug="tiny").pk == versions[1].pk
    assert model_version_rollback(slug="tiny").pk == versions[0].pk
    statuses = list(ModelVersion.objects.order_by("version").values_list("status", flat=True))
    assert statuses == [Status.PRODUCTION, Status.ARCHIVED, Status.ARCHIVED]


def test_rolling_back_skips_candidates_that_never_served(register_tiny):
    first, candidate, third = register_tiny(), register_tiny(), register_tiny()
    model_version_promote(version_id=first.pk)
    model_version_promote(version_id=third.pk)

    assert model_version_rollback(slug="tiny").pk == first.pk
    candidate.refresh_from_db()
    assert candidate.status == Status.CANDIDATE


def test_it_refuses_to_roll_back_past_the_first_version(register_tiny):
    model_version_promote(version_id=register_tiny().pk)

    with pytest.raises(NoPreviousVersion):
        model_version_rollback(slug="tiny")
    assert production_version(slug="tiny").version == 1


def test_the_database_refuses_a_second_production_version(register_tiny):
    first, second = register_tiny(), register_tiny()
    model_version_promote(version_id=first.pk)

    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=second.pk).update(status=Status.PRODUCTION)


def test_the_database_refuses_a_repeated_version_number(register_tiny):
    first = register_tiny()

    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.create(
            model=first.model, version=1, artifact="x", sha256="0" * 64, trained_at=timezone.now()
        )


def test_an_uploaded_artifact_that_serves_the_case_becomes_a_candidate(tiny_case, register_tiny):
    data = tiny_case.load_training_data(settings.DATASETS_DIR)
    content = artifact_dumps(case=tiny_case, model=tiny_case.fit_production(data))

    version = model_version_upload(slug="tiny", content=content)

    assert version.status == Status.CANDIDATE
    assert version.sha256 == hashlib.sha256(content).hexdigest()
    assert _artifact_path(version).read_bytes() == content
    assert load_model(version).predict([[9.0, 9.0]])[0] == "high"


def test_it_refuses_an_upload_that_is_not_an_artifact(tiny_case):
    with pytest.raises(InvalidArtifact, match="does not load"):
        model_version_upload(slug="tiny", content=b"not a pickle")
    assert not ModelVersion.objects.exists()


def test_it_refuses_an_upload_of_a_bare_estimator(tiny_case):
    data = tiny_case.load_training_data(settings.DATASETS_DIR)
    bare = _dumps(tiny_case.fit_production(data))

    with pytest.raises(InvalidArtifact, match="Not an mlbilling artifact"):
        model_version_upload(slug="tiny", content=bare)


def test_it_refuses_an_upload_made_for_another_schema(tiny_case, monkeypatch):
    data = tiny_case.load_training_data(settings.DATASETS_DIR)
    content = artifact_dumps(case=tiny_case, model=tiny_case.fit_production(data))
    changed = tiny_case.schema.fields[0].__class__("x1", "number", minimum=0, maximum=99)
    monkeypatch.setattr(
        type(tiny_case), "schema", type(tiny_case.schema)((changed, tiny_case.schema.fields[1]))
    )

    with pytest.raises(InvalidArtifact, match="input schema differs"):
        model_version_upload(slug="tiny", content=content)


def test_it_refuses_an_upload_that_cannot_predict_the_example(tiny_case):
    data = tiny_case.load_training_data(settings.DATASETS_DIR)
    one_feature = tiny_case.build_production().fit(data.X.to_numpy()[:, :1], data.y)
    content = artifact_dumps(case=tiny_case, model=one_feature)

    with pytest.raises(InvalidArtifact, match="cannot predict"):
        model_version_upload(slug="tiny", content=content)


def _dumps(obj: object) -> bytes:
    import io

    buffer = io.BytesIO()
    joblib.dump(obj, buffer)
    return buffer.getvalue()


def test_threads_asking_for_the_same_version_unpickle_it_once(register_tiny):
    version = register_tiny()
    real_load = artifacts.joblib.load
    calls = []

    def slow_load(handle):
        calls.append(1)
        time.sleep(0.05)  # widen the window in which a second thread would load too
        return real_load(handle)

    with (
        mock.patch.object(artifacts.joblib, "load", side_effect=slow_load),
        ThreadPoolExecutor(max_workers=4) as pool,
    ):
        models = list(pool.map(lambda _: load_model(version), range(8)))

    assert len(calls) == 1
    assert all(model is models[0] for model in models)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_promotions_of_one_model_both_succeed_one_after_the_other(register_tiny):
    first, second = register_tiny(), register_tiny()
    barrier = threading.Barrier(2)

    def promote(version_id: int) -> str:
        barrier.wait()
        try:
            model_version_promote(version_id=version_id)
            return "ok"
        except IntegrityError:
            return "collided"
        finally:
            connection.close()

    real_make_production = registry_services._make_production

    def slow_make_production(target):
        time.sleep(0.2)  # both transactions are open at once unless the lock queues them
        return real_make_production(target)

    with (
        mock.patch.object(registry_services, "_make_production", side_effect=slow_make_production),
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        outcomes = list(pool.map(promote, [first.pk, second.pk]))

    # Without the model row lock both would archive "nobody" and one would hit the
    # one-production index; with it the second waits and archives the first.
    assert outcomes == ["ok", "ok"]
    statuses = sorted(ModelVersion.objects.values_list("status", flat=True))
    assert statuses == [Status.ARCHIVED, Status.PRODUCTION]


def test_a_case_never_trained_is_listed_with_its_default_price_and_no_version(tiny_case):
    [listing] = [item for item in model_list() if item.case is tiny_case]

    assert listing.model.slug == "tiny"
    assert listing.model.price_per_row == 7
    assert listing.production is None
    assert not MLModel.objects.exists()


def test_a_deactivated_model_is_not_listed(register_tiny):
    model_version_promote(version_id=register_tiny().pk)
    MLModel.objects.filter(slug="tiny").update(is_active=False)

    assert "tiny" not in {item.model.slug for item in model_list()}
