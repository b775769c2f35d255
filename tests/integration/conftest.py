from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from .server import ServerProcess


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path / "data").start()
    yield srv
    srv.stop()
