"""The textual form: parsed safely, written back, loaded from YAML."""

import pytest

import rung
from rung.space import from_text, parse_domain, to_text

DOMAINS = [
    rung.uniform(-1.5, 2.0),
    rung.loguniform(1e-5, 0.1),
    rung.quniform(0, 1, 0.1),
    rung.qloguniform(1, 100, 1),
    rung.randint(1, 10),
    rung.qrandint(0, 100, 5),
    rung.lograndint(16, 512),
    rung.choice(["adam", "sgd", 3, None]),
    rung.grid([1, 2, 3]),
]


@pytest.mark.parametrize("domain", DOMAINS, ids=str)
def test_text_round_trip(domain):
    assert parse_domain(str(domain)) == domain


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("normal(0, 1)", "unknown domain 'normal'"),
        ("uniform(0, __import__('os').getpid())", "arguments must be literal"),
        ("uniform(0, 1", "is not a domain"),
        ("uniform(1, 0)", "low must be below high"),
        ("uniform(0, 1, 2, 3)", "uniform"),
        ("3 + 4", "is not a domain"),
    ],
)
def test_bad_text_is_refused_without_evaluating_it(text, message):
    with pytest.raises(rung.SpaceError, match=message):
        parse_domain(text)


def test_yaml_space_with_conditional_and_plain_strings():
    space = rung.load_space(
        """
        lr: loguniform(1e-5, 1e-1)
        activation: relu
        model:
          depth: randint(1, 4)
          optimizer:
            choice:
              - {name: sgd, momentum: "uniform(0, 0.99)"}
              - {name: adam}
        """
    )
    assert space.names == ("lr", "model/depth", "model/optimizer", "model/optimizer[0]/momentum")
    assert space.definition["activation"] == "relu"
    assert rung.load_space(yaml_text(to_text(space))).names == space.names


def yaml_text(definition):
    import yaml

    return yaml.safe_dump(definition) + "\n"


def test_bad_text_in_a_file_names_the_parameter():
    with pytest.raises(rung.SpaceError, match=r"^model/lr: .*low must be below high"):
        from_text({"model": {"lr": "uniform(1, 0)"}})


def test_load_space_from_a_file(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("lr: loguniform(1e-4, 1e-1)\nbatch: grid([32, 64])\n")
    space = rung.load_space(path)
    assert space.grid_size == 2
    with pytest.raises(rung.SpaceError, match="does not exist"):
        rung.load_space(tmp_path / "missing.yaml")
