from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from predictions.ml.cases.base import Bar
from predictions.models import MLModel, ModelVersion
from predictions.registry.selectors import production_version

pytestmark = pytest.mark.django_db

Status = ModelVersion.Status


def _train(*args: str) -> str:
    out = StringIO()
    call_command("train_models", *args, stdout=out)
    return out.getvalue()


def test_it_trains_registers_and_promotes_a_case_that_meets_its_bar(tiny_case):
    output = _train("--case", "tiny")

    version = production_version(slug="tiny")
    assert version.version == 1
    assert set(version.metrics) == {"baseline", "production"}
    assert version.metrics["production"]["roc_auc"]["mean"] >= 0.8
    assert version.card["bars"] == [
        {
            "bar": "roc_auc >= 0.8",
            "metric": "roc_auc",
            "value": pytest.approx(0.9, abs=0.1),
            "met": True,
        }
    ]
    assert version.data_fingerprint.startswith("sha256:")
    assert version.card["dataset_files"][0]["file"] == "tiny/tiny.csv"
    assert MLModel.objects.get(slug="tiny").price_per_row == 7
    assert "promoted to production" in output
    assert "evaluating baseline and production done in" in output


def test_it_writes_the_card_figures_into_the_version_folder(tiny_case):
    _train("--case", "tiny")

    version = production_version(slug="tiny")
    folder = Path(settings.MEDIA_ROOT) / "models" / "tiny" / "1"
    files = {file for figure in version.card["figures"] for file in figure["files"].values()}
    drawn = {"confusion_matrix", "confusion_matrix_baseline", "metrics"}
    assert files == {f"{name}.svg" for name in drawn} | {f"{name}.ru.svg" for name in drawn}
    for name in files:
        assert b"<svg" in (folder / name).read_bytes()


def test_a_second_run_archives_the_first_version(tiny_case):
    _train("--case", "tiny")
    _train("--case", "tiny")

    statuses = dict(ModelVersion.objects.values_list("version", "status"))
    assert statuses == {1: Status.ARCHIVED, 2: Status.PRODUCTION}


def test_a_version_below_its_bar_stays_a_candidate_when_production_exists(tiny_case, monkeypatch):
    _train("--case", "tiny")
    monkeypatch.setattr(type(tiny_case), "bars", (Bar("roc_auc", ">=", 0.9999),))

    output = _train("--case", "tiny")

    assert ModelVersion.objects.get(version=2).status == Status.CANDIDATE
    assert production_version(slug="tiny").version == 1
    assert "kept as candidate" in output


def test_a_first_version_below_its_bar_is_promoted_and_says_so(tiny_case, monkeypatch):
    monkeypatch.setattr(type(tiny_case), "bars", (Bar("roc_auc", ">=", 0.9999),))

    _train("--case", "tiny")

    version = production_version(slug="tiny")
    assert version.card["bars_met"] is False
    assert version.card["promoted_below_bar"] is True


def test_check_bars_fails_when_a_production_model_misses_its_bar(tiny_case, monkeypatch):
    monkeypatch.setattr(type(tiny_case), "bars", (Bar("roc_auc", ">=", 0.9999),))

    with pytest.raises(CommandError, match="below their bar: tiny v1"):
        _train("--case", "tiny", "--check-bars")


def test_check_bars_passes_when_every_bar_is_met(tiny_case):
    _train("--case", "tiny", "--check-bars")

    assert production_version(slug="tiny").card["bars_met"] is True


def test_check_bars_accepts_a_recorded_floor_where_the_bar_is_out_of_reach(tiny_case, monkeypatch):
    monkeypatch.setattr(type(tiny_case), "bars", (Bar("roc_auc", ">=", 0.9999),))
    monkeypatch.setattr(type(tiny_case), "recorded_floors", (Bar("roc_auc", ">=", 0.5),))

    _train("--case", "tiny", "--check-bars")

    assert production_version(slug="tiny").card["bars_met"] is False


def test_check_bars_fails_below_a_recorded_floor(tiny_case, monkeypatch):
    monkeypatch.setattr(type(tiny_case), "bars", (Bar("roc_auc", ">=", 0.9999),))
    monkeypatch.setattr(type(tiny_case), "recorded_floors", (Bar("roc_auc", ">=", 0.9998),))

    with pytest.raises(CommandError, match="below their bar: tiny v1"):
        _train("--case", "tiny", "--check-bars")


def test_if_missing_skips_a_case_that_already_serves(tiny_case):
    _train("--case", "tiny")

    output = _train("--case", "tiny", "--if-missing")

    assert ModelVersion.objects.count() == 1
    assert "skipped" in output


def test_sample_trains_on_fewer_rows(tiny_case):
    _train("--case", "tiny", "--sample", "60")

    assert production_version(slug="tiny").card["rows"] == 60


def test_a_missing_dataset_names_the_file_and_the_setting(tiny_case, settings, tmp_path):
    settings.DATASETS_DIR = tmp_path / "nowhere"

    with pytest.raises(CommandError) as error:
        _train("--case", "tiny")

    assert str(tmp_path / "nowhere" / "tiny" / "tiny.csv") in str(error.value)
    assert "DATASETS_DIR" in str(error.value)
    assert not ModelVersion.objects.exists()


def test_an_unknown_case_is_a_clear_error(tiny_case):
    with pytest.raises(CommandError, match=r"Unknown case 'nope'; known: .*tiny"):
        _train("--case", "nope")
