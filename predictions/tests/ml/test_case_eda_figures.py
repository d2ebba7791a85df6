from __future__ import annotations

from pathlib import Path

import pytest

from predictions.ml.cases import get_case


@pytest.mark.parametrize("slug", ["android-malware", "product-category"])
def test_the_eda_figures_are_written(slug: str, datasets_dir: Path, tmp_path: Path) -> None:
    case = get_case(slug)

    figures = case.eda_figures(case.load_training_data(datasets_dir), tmp_path)

    assert len(figures) >= 3
    for figure in figures:
        assert (tmp_path / figure["file"]).stat().st_size > 0
        assert figure["title"]
        assert figure["caption"]
