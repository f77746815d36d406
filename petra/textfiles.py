"""Reading the text files petra is given (YAML, TOML): UTF-8 only, bounded in size, and YAML without
the constructs that let a small file expand or hide a mistake.

YAML is read with PyYAML's safe loader (no tags that run code) restricted further:

* aliases (`*name`) are refused: a 500-byte "billion laughs" file would otherwise expand to
  gigabytes; write the value out instead;
* a key given twice in one mapping is an error (YAML says keys are unique; PyYAML keeps the last);
* nesting deeper than `MAX_YAML_DEPTH` levels is an error (no RecursionError);
* files larger than `MAX_TEXT_BYTES` are refused before parsing.

Every problem is an InputError (exit 2) naming the file, and the line and column where YAML gives them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

from petra.errors import InputError

MAX_TEXT_BYTES = 10_000_000  # largest YAML or TOML file petra reads (bytes)
MAX_YAML_DEPTH = 50  # deepest nesting of YAML mappings and lists


def read_text(path: str | Path, *, what: str = "file") -> str:
    """The UTF-8 text of a file (a leading byte-order mark dropped); InputError if it is missing,
    larger than MAX_TEXT_BYTES or not UTF-8."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} not found", file=str(path))
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise InputError(f"{what} is {size:,} bytes; petra reads at most {MAX_TEXT_BYTES:,}",
                             file=str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what} ({exc.strerror or exc})", file=str(path)) from None
    return decode_utf8(data, str(path))


def decode_utf8(data: bytes, file: str) -> str:
    """`data` decoded as UTF-8 (BOM dropped); InputError naming the first bad byte's line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                         "save the file as UTF-8", file=file, row=line) from None


class _Strict:
    """Mixin of a PyYAML loader: no aliases, duplicate keys or deep nesting (see module docstring)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, f"aliases are not allowed (*{event.anchor}); write the value out",
                event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                mark = self.peek_event().start_mark
                problem = f"nested more than {MAX_YAML_DEPTH} levels deep"
                raise yaml.composer.ComposerError(None, None, problem, mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key = (key_node.tag, key_node.value)
                    if key in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key '{key_node.value}' (first given on line "
                            f"{seen[key] + 1})", key_node.start_mark)
                    seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


class _StrictLoader(_Strict, yaml.SafeLoader):
    """SafeLoader without aliases, duplicate keys or deep nesting (pure Python)."""


def _fast_loader() -> type:
    """The same loader on libyaml's C parser where PyYAML has it (the events come from C, the nodes are
    composed in Python with the checks above: a 4 MB file reads in about 2 s instead of 12 s)."""
    try:
        from yaml._yaml import CParser
    except ImportError:  # pragma: no cover - PyYAML built without libyaml
        return _StrictLoader

    class _FastStrictLoader(_Strict, yaml.composer.Composer, CParser, yaml.constructor.SafeConstructor,
                            yaml.resolver.Resolver):
        def __init__(self, stream):
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            yaml.composer.Composer.__init__(self)
            self._depth = 0

    return _FastStrictLoader


_LOADER = _fast_loader()


def parse_yaml(text: str, file: str) -> object:
    """Parse YAML text with the restrictions above; InputError naming the file, line and column."""
    try:
        return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader (SafeConstructor)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        if problem == "exceeded maximum nesting depth":  # libyaml's own limit (1000 levels)
            problem = f"nested more than {MAX_YAML_DEPTH} levels deep"
        raise InputError(f"invalid YAML{where}: {problem}", file=file) from None
    except RecursionError:
        raise InputError(f"invalid YAML: nested too deeply (at most {MAX_YAML_DEPTH} levels)",
                         file=file) from None


def load_yaml(path: str | Path, *, what: str = "file") -> object:
    """Read and parse a YAML file (see module docstring)."""
    return parse_yaml(read_text(path, what=what), str(path))


def load_toml(path: str | Path, *, what: str = "file") -> dict:
    """Read and parse a TOML file: UTF-8, bounded, InputError on a syntax error."""
    try:
        return tomllib.loads(read_text(path, what=what))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"invalid TOML ({exc})", file=str(path)) from None
    except RecursionError:
        raise InputError("invalid TOML: nested too deeply", file=str(path)) from None


def dump_yaml(doc: object) -> str:
    """`doc` as YAML text that `parse_yaml` reads back to `doc`: keys in their order, a mapping or list
    of scalars on one line (`{region: CHN, value: 1.5}`, `[2020, 2030]`), on libyaml's emitter where
    PyYAML has it (yaml.safe_dump's output; 50,000 rules in a few seconds)."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(doc, Dumper=dumper, sort_keys=False, default_flow_style=None, allow_unicode=True)
