import pytest

import rung


@pytest.fixture(params=["inline", "process"])
def executor(request):
    """Engine tests run on every executor."""
    return request.param


@pytest.fixture
def tune(tmp_path):
    """``rung.run`` with a quiet reporter, a seed and a temporary storage path."""

    def run(trainable, space, **kwargs):
        kwargs.setdefault("metric", "loss")
        kwargs.setdefault("mode", "min")
        kwargs.setdefault("seed", 0)
        kwargs.setdefault("verbose", 0)
        kwargs.setdefault("max_concurrent", 2)
        return rung.run(trainable, space, storage_path=tmp_path, **kwargs)

    return run
