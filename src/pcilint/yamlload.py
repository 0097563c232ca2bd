"""YAML loading that remembers line numbers, so rule and config errors can name the line."""

from __future__ import annotations

from typing import Any

import yaml

from pcilint.errors import PcilintError


class LineDict(dict):
    """A mapping from YAML that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    line: int = 0
    item_lines: list[int]


# libyaml's parser when PyYAML has it (about 10x faster: the rule packs are read on every run
# the cache does not serve), with the same safe constructors and line marks
class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "unhashable mapping key", key_node.start_mark) from None
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(text: str, path: str, error: type[PcilintError] = PcilintError) -> Any:
    """Parse YAML text; a syntax error becomes ``error`` naming the file and line."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except RecursionError:
        raise error("invalid YAML: nested too deeply", path=path) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise error(f"invalid YAML: {problem}", path=path, line=line) from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {exc}", path=path) from None
    if _expanded_size(data, {}) > MAX_EXPANDED_NODES:
        # "billion laughs": a few aliases of aliases that expand to millions of values when
        # anything walks the data
        raise error(f"invalid YAML: aliases expand to more than {MAX_EXPANDED_NODES:,} values",
                    path=path, line=1)
    return data


MAX_EXPANDED_NODES = 1_000_000


def _expanded_size(value: Any, memo: dict[int, int]) -> int:
    """How many values ``value`` holds once every alias is expanded (shared nodes counted once
    per reference, computed once per node)."""
    if not isinstance(value, (dict, list)):
        return 1
    key = id(value)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a recursive alias counts once, not forever
    items = list(value.items()) if isinstance(value, dict) else value
    total = 1
    for item in items:
        if isinstance(value, dict):
            total += _expanded_size(item[0], memo) + _expanded_size(item[1], memo)
        else:
            total += _expanded_size(item, memo)
        if total > MAX_EXPANDED_NODES:
            break
    memo[key] = total
    return total
