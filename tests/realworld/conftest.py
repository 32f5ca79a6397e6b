"""Real-world tier: files nobody here made. Vendored ones sit beside their tests; fetched ones in .cache/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

CACHE = Path(__file__).resolve().parent / ".cache"


@pytest.fixture(scope="session")
def fetched() -> Callable[[str], Path]:
    """A fetched file by its path under .cache/ ('scikit-image/skimage/data/coffee.png').

    Tests using it carry the `fetched` marker, which `make test` deselects and `make test-realworld` selects
    after `make realworld-fetch`; a missing file there is a failure, not a skip, so CI cannot pass without it.
    """

    def get(rel: str) -> Path:
        path = CACHE / rel
        if not path.is_file():
            pytest.fail(f"{rel} is not fetched: run `make realworld-fetch` first")
        return path

    return get
