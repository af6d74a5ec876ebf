"""Benchmark of offline validation against graphql-core's own ``validate``.

Generates valid documents over the emulator schema, each with filter and orderBy
strings, and times ``graphql.validate`` and ``sage_dmo._validate.validate_parsed``
over the same parsed documents. Run ``python -m bench.validation --help`` from the
repository root.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from graphql import (
    DocumentNode,
    GraphQLObjectType,
    GraphQLSchema,
    parse,
    validate,
)

from sage_dmo._cli_validate import read_schema
from sage_dmo._filter_schema import PropertyInfo, find_property, node_for_connection
from sage_dmo._validate import validate_document, validate_parsed
from sage_dmo.emulator._full_schema_sdl import generate_full_schema_sdl

from ._docs import cpu_model

__all__ = [
    "Timing",
    "generate_documents",
    "main",
    "measure",
    "node_queries",
    "print_report",
]

SCHEMA_PATH = (
    Path(__file__).resolve().parent.parent / "sage_dmo" / "emulator" / "schema.graphql"
)
MAX_RATIO = 1.2
"""Largest accepted time of validate_parsed over that of graphql.validate."""

_WORDS = ("alpha", "bolt", "cable", "drill", "edge", "flange", "gear", "hinge")
_REFERENCE_KEYS = ("id", "name", "_id")


@dataclass(frozen=True)
class NodeQuery:
    """A way to query a node: package field, node field and node type."""

    package: str
    field: str
    node: GraphQLObjectType


def node_queries(schema: GraphQLSchema) -> list[NodeQuery]:
    """Return every ``Query.<package>.<node>.query`` of ``schema``."""
    found: list[NodeQuery] = []
    query_type = schema.query_type
    if query_type is None:
        return found
    for package_name, package_field in query_type.fields.items():
        package = package_field.type
        while not isinstance(package, GraphQLObjectType):
            package = package.of_type
        for node_name, node_field in package.fields.items():
            operations = node_field.type
            while not isinstance(operations, GraphQLObjectType):
                operations = operations.of_type
            query = operations.fields.get("query")
            node = node_for_connection(query.type) if query is not None else None
            if node is not None:
                found.append(NodeQuery(package_name, node_name, node))
    return found


def _properties(node: GraphQLObjectType) -> list[PropertyInfo]:
    infos = [find_property(node, name) for name in node.fields]
    return [info for info in infos if isinstance(info, PropertyInfo)]


class _Writer:
    """Random but valid selections, filters and orderBys for one node query."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def scalar_literal(self, info: PropertyInfo) -> str | None:
        """Return a filter value for a scalar or enum property, or None."""
        rng = self.rng
        if info.enum is not None:
            members = list(info.enum.values)
            chosen = rng.sample(members, min(2, len(members)))
            return "{_in: [" + ", ".join(f"'{m}'" for m in chosen) + "]}"
        values: dict[str, Callable[[], str]] = {
            "String": lambda: rng.choice(
                [f"'{rng.choice(_WORDS)}{rng.randint(1, 999)}'",
                 f"{{_regex: '^{rng.choice(_WORDS)[:3]}'}}"]
            ),
            "Id": lambda: f"'{rng.randint(1, 5000)}'",
            "Decimal": lambda: f"{{_gte: {rng.randint(0, 900)}.{rng.randint(0, 99)}}}",
            "Int": lambda: f"{{_lt: {rng.randint(1, 500)}}}",
            "Boolean": lambda: rng.choice(["true", "false"]),
            "Date": lambda: (
                f"{{_gte: '20{rng.randint(10, 29)}-{rng.randint(1, 12):02d}-"
                f"{rng.randint(1, 28):02d}'}}"
            ),
            "Datetime": lambda: (
                f"{{_lt: '2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z'}}"
            ),
        }  # fmt: skip
        make = values.get(info.step.type_name)
        return make() if make is not None else None

    def condition(self, node: GraphQLObjectType, depth: int) -> str | None:
        """Return ``key: value`` for one property of ``node``, or None."""
        info = self.rng.choice(_properties(node))
        name = info.step.property
        if info.step.kind == "reference" and info.target is not None and depth < 2:
            inner = self.condition(info.target, depth + 1)
            return f"{name}: {{{inner}}}" if inner else None
        if info.step.kind == "collection" and info.target is not None and depth < 2:
            inner = self.condition(info.target, depth + 1)
            count = f"_atLeast: {self.rng.randint(1, 3)}"
            return f"{name}: {{{count}, {inner}}}" if inner else f"{name}: {{{count}}}"
        if info.step.kind in ("scalar", "enum"):
            value = self.scalar_literal(info)
            return f"{name}: {value}" if value else None
        return None

    def filter_text(self, node: GraphQLObjectType) -> str:
        parts = [self.condition(node, 0) for _ in range(self.rng.randint(1, 4))]
        unique = {part.partition(":")[0]: part for part in parts if part}
        return "{" + ", ".join(unique.values()) + "}"

    def order_by_text(self, node: GraphQLObjectType) -> str:
        keys = []
        for info in self.rng.sample(_properties(node), 2):
            direction = self.rng.choice(["1", "-1"])
            if info.step.kind in ("scalar", "enum"):
                keys.append(f"{info.step.property}: {direction}")
            elif info.step.kind == "reference" and info.target is not None:
                key = next(k for k in _REFERENCE_KEYS if k in info.target.fields)
                keys.append(f"{info.step.property}: {{{key}: {direction}}}")
        return "{" + ", ".join(keys or ["_id: 1"]) + "}"

    def selection(self, node: GraphQLObjectType) -> str:
        fields = []
        for info in _properties(node):
            if info.step.kind in ("scalar", "enum") and self.rng.random() < 0.6:
                fields.append(info.step.property)
            elif info.step.kind == "reference" and self.rng.random() < 0.3:
                fields.append(f"{info.step.property} {{ _id }}")
        return " ".join(fields or ["_id"])


def generate_documents(
    schema: GraphQLSchema, count: int, *, seed: int = 1
) -> list[str]:
    """Return ``count`` valid documents, each querying one to three nodes.

    Every node query has a filter and an orderBy. About half of the filters are
    string literals and the rest are the default values of variables. A quarter
    of the node queries select their fields through a fragment.
    """
    rng = random.Random(seed)
    writer = _Writer(rng)
    queries = node_queries(schema)
    documents = []
    for number in range(count):
        variables: list[str] = []
        roots: list[str] = []
        fragments: list[str] = []
        for index, chosen in enumerate(rng.sample(queries, rng.randint(1, 3))):
            filter_text = writer.filter_text(chosen.node)
            order_text = writer.order_by_text(chosen.node)
            if rng.random() < 0.5:
                variables.append(f'$filter{index}: String = "{filter_text}"')
                filter_argument = f"$filter{index}"
            else:
                filter_argument = f'"{filter_text}"'
            selection = writer.selection(chosen.node)
            if rng.random() < 0.25:
                fragment = f"{chosen.node.name}Fields{index}"
                fragments.append(
                    f"fragment {fragment} on {chosen.node.name} {{ {selection} }}"
                )
                selection = f"...{fragment}"
            roots.append(
                f"{chosen.package} {{ {chosen.field} {{ query(first: 50, "
                f'filter: {filter_argument}, orderBy: "{order_text}") {{ '
                "totalCount pageInfo { endCursor hasNextPage } "
                f"edges {{ cursor node {{ {selection} }} }} }} }} }}"
            )
        header = f"({', '.join(variables)})" if variables else ""
        body = "\n".join(f"  {root}" for root in roots)
        documents.append(
            "\n".join([f"query Generated{number}{header} {{", body, "}", *fragments])
        )
    return documents


@dataclass(frozen=True)
class Timing:
    """CPU seconds of each variant over the same documents (see ``measure``)."""

    graphql_validate: float
    sage_dmo_validate: float
    sage_dmo_without_filters: float
    sage_dmo_with_parsing: float

    @property
    def ratio(self) -> float:
        return self.sage_dmo_validate / self.graphql_validate


def measure(
    schema: GraphQLSchema, sources: Sequence[str], *, rounds: int = 5
) -> Timing:
    """Time each variant over all documents ``rounds`` times, in CPU seconds.

    The variants take turns on each document, and a variant's time is the sum
    over the documents of its fastest round. Taking turns and keeping the fastest
    run make the figures hold up on a shared, busy machine.
    """
    documents: list[DocumentNode] = [parse(source) for source in sources]
    variants: list[Callable[[int], object]] = [
        lambda index: validate(schema, documents[index]),
        lambda index: validate_parsed(schema, documents[index]),
        lambda index: validate_parsed(schema, documents[index], check_filters=False),
        lambda index: validate_document(schema, sources[index]),
    ]
    fastest = [[float("inf")] * len(documents) for _ in variants]
    for index in range(len(documents)):  # warm-up of caches in graphql-core
        for variant in variants:
            variant(index)
    gc.collect()
    # As timeit does, time with the garbage collector off: otherwise a full
    # collection of the parsed documents is charged to whichever variant happens
    # to trigger it.
    gc.disable()
    try:
        for _ in range(rounds):
            for index in range(len(documents)):
                for times, variant in zip(fastest, variants, strict=True):
                    began = time.process_time()
                    variant(index)
                    times[index] = min(times[index], time.process_time() - began)
    finally:
        gc.enable()
    return Timing(*(sum(times) for times in fastest))


def print_report(timing: Timing, sources: Sequence[str], rounds: int) -> None:
    """Print the documents measured, the machine, the times and the ratio."""
    count = len(sources)
    strings = sum(source.count("filter: ") for source in sources)
    characters = sum(len(source) for source in sources) / count
    print(
        f"{count} documents, {strings} filter and {strings} orderBy strings, "
        f"{characters:.0f} characters per document"
    )
    print(
        f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, graphql-core {version('graphql-core')}"
    )
    print(f"Fastest of {rounds} rounds per document, in CPU milliseconds per document:")
    rows = [
        ("graphql.validate", timing.graphql_validate),
        ("validate_parsed", timing.sage_dmo_validate),
        ("validate_parsed, check_filters=False", timing.sage_dmo_without_filters),
        ("validate_document (parse included)", timing.sage_dmo_with_parsing),
    ]
    for label, seconds in rows:
        print(f"  {label:<40} {seconds / count * 1000:8.3f}")

    verdict = "ok" if timing.ratio <= MAX_RATIO else "TOO SLOW"
    print(
        f"ratio validate_parsed / graphql.validate: {timing.ratio:.3f} "
        f"(limit {MAX_RATIO}): {verdict}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Generate documents, check that they are valid, time them, print the ratio.

    Returns 1 when a generated document is invalid or the ratio is above
    ``MAX_RATIO``.
    """
    parser = argparse.ArgumentParser(
        prog="python -m bench.validation", description=__doc__
    )
    parser.add_argument(
        "--documents",
        type=int,
        default=1000,
        help="number of generated documents (default 1000)",
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="timed rounds per variant (default 5)"
    )
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument(
        "--full-schema",
        action="store_true",
        help="validate against the generated SDMO-scale schema instead of the "
        "emulator's own",
    )
    arguments = parser.parse_args(argv)

    if arguments.full_schema:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "full.graphql"
            path.write_text(generate_full_schema_sdl(), encoding="utf-8")
            schema = read_schema(path)
        print("schema: generated full-size schema")
    else:
        schema = read_schema(SCHEMA_PATH)
    sources = generate_documents(schema, arguments.documents, seed=arguments.seed)
    for source in sources:
        problems = [
            problem
            for problem in validate_document(schema, source)
            if problem.severity == "error"
        ]
        if problems:
            print(f"generated document is invalid: {problems[0]}\n{source}")
            return 1

    timing = measure(schema, sources, rounds=arguments.rounds)
    print_report(timing, sources, arguments.rounds)
    return 0 if timing.ratio <= MAX_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
