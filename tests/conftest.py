"""Every test keeps its practice history in its own folder: never the user's, never another test's."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _own_history(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("LLAQO_HOME", str(tmp_path_factory.mktemp("llaqo_home")))
