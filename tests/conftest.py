"""Shared fixtures: a session-wide cache of generated media."""

from __future__ import annotations

import pytest

from tests.media import MediaFactory


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> MediaFactory:
    return MediaFactory(tmp_path_factory.mktemp("media"))
