"""What the browser tests share: Debian's Chromium, a model promoted in seconds, a CSV."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings

from predictions.ml.cases import get_case
from predictions.ml.figures import drawn_in_every_language
from predictions.models import ModelVersion
from predictions.registry.services import model_version_promote, model_version_register
from predictions.registry.training import training_data_sample

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def promoted_on_a_sample(slug: str, rows: int = 300, *, figures: bool = False) -> ModelVersion:
    """Case `slug` fitted on `rows` rows and promoted (seconds; the full training with its
    evaluation is train_models' own test). With `figures`, its card gets the case's EDA
    figures, drawn from the sample in every language as training draws them."""
    case = get_case(slug)
    data = training_data_sample(case.load_training_data(settings.DATASETS_DIR), rows)
    with tempfile.TemporaryDirectory() as folder:
        drawn = (
            drawn_in_every_language(
                lambda: [{**f, "kind": "eda"} for f in case.eda_figures(data, Path(folder))]
            )
            if figures
            else []
        )
        version = model_version_register(
            case=case,
            model=case.fit_production(data),
            metrics={"production": {}},
            figures_dir=Path(folder),
            figures=drawn,
        )
    return model_version_promote(version_id=version.pk)


def batch_csv(path: Path, rows: int, slug: str = "nhanes-age") -> Path:
    """A CSV of `rows` copies of the case's example row."""
    example = get_case(slug).example
    lines = [",".join(example)]
    lines += [",".join(str(value) for value in example.values()) for _ in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path
