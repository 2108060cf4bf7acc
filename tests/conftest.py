import signal

import pytest

import rung


@pytest.fixture(scope="session")
def _ray_of_the_session():
    """Ray, ended once the tests are done."""
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'rung[ray]')")
    yield ray
    ray.shutdown()


@pytest.fixture
def local_ray(_ray_of_the_session):
    """A local Ray kept running around the test, as a user's session keeps one: shared by
    the tests on Ray (a Ray per test would cost seconds each), started again after a test
    of a cluster of its own ended it."""
    ray = _ray_of_the_session
    if not ray.is_initialized():
        ray.init(
            address="local",  # a new one, whatever clusters this machine has seen
            num_cpus=2,
            include_dashboard=False,
            object_store_memory=200 * 2**20,
            logging_level="ERROR",
        )
    return ray


@pytest.fixture(params=["inline", "process", "ray"])
def executor(request):
    """Engine tests run on every executor."""
    if request.param == "ray":
        request.getfixturevalue("local_ray")
    return request.param


@pytest.fixture(params=["process", "ray"])
def worker_executor(request):
    """Tests of what only trials in other processes can do run on each such executor."""
    if request.param == "ray":
        request.getfixturevalue("local_ray")
    return request.param


@pytest.fixture
def sigint_from_a_terminal():
    """SIGINT at Python's default, as from a terminal, even where the tests run as a
    background job (SIGINT ignored, so no Ctrl-C would ever arrive)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


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
