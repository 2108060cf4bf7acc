"""Reading YAML as rung's files mean it: safe (no tags that build objects), and a key given
twice refused instead of silently keeping the last one."""

from __future__ import annotations

from typing import Any

import yaml


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping gives the same key twice; ``key`` and ``problem_mark`` say which and where."""

    def __init__(self, key: Any, mark: yaml.Mark) -> None:
        super().__init__(problem=f"{key!r} is given twice; keep one", problem_mark=mark)
        self.key = key


class _UniqueKeyLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise DuplicateKeyError(key, key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> Any:
    """The value YAML ``text`` holds; ``yaml.YAMLError`` (``DuplicateKeyError`` for a key
    given twice) when it is not valid."""
    return yaml.load(text, Loader=_UniqueKeyLoader)
