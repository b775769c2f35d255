"""Fixtures of the unit tests that run the web application (see ``access_env``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from access_env import Env, make_env


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return make_env(tmp_path)
