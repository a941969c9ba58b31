"""Pytest runs every lesson in the offline pocket profile: the stored outputs are a pocket run on CPU."""
import os

os.environ["COURSE_PROFILE"] = "pocket"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["PYTHONHASHSEED"] = "0"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

# Lessons too slow for the default suite on a 2-core CPU: nbval runs them with `pytest -m slow notebooks/`.
SLOW_NOTEBOOKS = {"06_fine_tuning_modes.ipynb"}


def pytest_collection_modifyitems(config, items):
    import pytest
    from pathlib import Path

    for item in items:
        if Path(str(item.fspath)).name in SLOW_NOTEBOOKS:
            item.add_marker(pytest.mark.slow)
