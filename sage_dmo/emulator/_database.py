"""SQLite storage of the emulated tenant: tables, lazy seeding, lookups by key.

A node's table is created and seeded the first time a request touches it, so a
tenant of 100,000 rows per node starts at once and pays only for what it uses.
Seeding is deterministic, so the order in which tables are touched never
changes their content.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ._model import Model, NodeModel, Property, quote
from ._seed import REFERENCE_GENERATORS, SEED_VERSION, Generator, SeedContext
from ._seed_documents import DOCUMENT_GENERATORS
from ._seed_items import ITEM_GENERATORS
from ._seed_parties import PARTY_GENERATORS

__all__ = ["Database", "regex_search"]

logger = logging.getLogger(__name__)

_INTEGER_TEXT = re.compile(r"[+-]?\d+")


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def regex_search(pattern: str | None, value: Any) -> int | None:
    """Return 1 when ``pattern`` occurs anywhere in ``value``, the SQL ``_regex``."""
    if pattern is None or value is None:
        return None
    return 1 if _compiled(pattern).search(str(value)) else 0


class Database:
    """The tenant's SQLite connection and the tables of its nodes."""

    def __init__(self, model: Model, *, rows: int, seed: int, path: str) -> None:
        self.model = model
        self.rows = rows
        self.seed = seed
        # Autocommit mode: the emulator opens transactions and savepoints itself.
        self.connection = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False
        )
        self.connection.row_factory = sqlite3.Row
        self.connection.create_function(
            "sdmo_regex", 2, regex_search, deterministic=True
        )
        self.connection.execute("PRAGMA synchronous = OFF")
        self.connection.execute("PRAGMA temp_store = MEMORY")
        self._generators: dict[str, Generator] = {
            **REFERENCE_GENERATORS,
            **ITEM_GENERATORS,
            **PARTY_GENERATORS,
            **DOCUMENT_GENERATORS,
        }
        self._enums = self._enum_indexes()
        self._seeded: set[str] = set()
        self._prepare_file()

    def _enum_indexes(self) -> dict[str, dict[str, int]]:
        indexes: dict[str, dict[str, int]] = {}
        for node in self.model.nodes.values():
            for prop in node.properties.values():
                if prop.kind == "enum":
                    members = prop.enum_values
                    indexes[prop.type_name] = {
                        name: i for i, name in enumerate(members)
                    }
        return indexes

    def _prepare_file(self) -> None:
        """Start afresh unless the file was seeded with the same rows and seed."""
        execute = self.connection.execute
        execute("CREATE TABLE IF NOT EXISTS _emulator (key TEXT PRIMARY KEY, value)")
        settings = dict(execute("SELECT key, value FROM _emulator").fetchall())
        expected = {"rows": self.rows, "seed": self.seed, "layout": self._layout()}
        if settings and {k: settings.get(k) for k in expected} == expected:
            self._seeded = self._read_seeded()
            return
        with self.transaction():
            for node in self.model.nodes.values():
                execute(f"DROP TABLE IF EXISTS {node.table}")
            execute("DELETE FROM _emulator")
            for key, value in expected.items():
                execute("INSERT INTO _emulator VALUES (?, ?)", (key, value))

    def _layout(self) -> str:
        """Return a digest of the tables and of the seed, which old files must match."""
        parts = [f"seed data version {SEED_VERSION}"]
        for node in self.model.nodes.values():
            columns = ",".join(f"{p.name}:{p.storage}" for p in node.columns)
            parts.append(f"{node.spec.table}({columns})")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def close(self) -> None:
        """Close the connection; later calls do nothing."""
        self.connection.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block in a savepoint, rolled back if the block raises."""
        self.connection.execute("SAVEPOINT emulator")
        try:
            yield
        except BaseException:
            self.connection.execute("ROLLBACK TO emulator")
            self.connection.execute("RELEASE emulator")
            # The rollback also undoes tables seeded inside the block.
            self._seeded = self._read_seeded()
            raise
        self.connection.execute("RELEASE emulator")

    def _read_seeded(self) -> set[str]:
        found = self.connection.execute(
            "SELECT value FROM _emulator WHERE key = 'seeded'"
        ).fetchone()
        text = "" if found is None else str(found[0] or "")
        return {name for name in text.split(",") if name}

    # --- lazy seeding ------------------------------------------------------

    def ensure(self, names: Iterable[str]) -> None:
        """Create and seed the tables of the nodes ``names`` that are not yet."""
        for name in names:
            if name not in self._seeded:
                self._seed_table(self.model[name])

    def _seed_table(self, node: NodeModel) -> None:
        started = time.perf_counter()
        context = SeedContext(self.seed, self.rows, node.spec.table, self._enums)
        table = self._generators[node.name](context)
        missing = {prop.name for prop in node.columns} - set(table.columns)
        if missing:
            raise LookupError(f"the seed of {node.name} lacks {sorted(missing)}")
        execute = self.connection.execute
        with self.transaction():
            execute(self._create_table_sql(node))
            columns = ", ".join(quote(name) for name in table.columns)
            marks = ", ".join("?" * len(table.columns))
            insert = f"INSERT INTO {node.table} ({columns}) VALUES ({marks})"
            self.connection.executemany(insert, table.rows)
            for statement in self._index_sql(node):
                execute(statement)
            self._seeded.add(node.name)
            seeded = ",".join(sorted(self._seeded))
            execute("INSERT OR REPLACE INTO _emulator VALUES ('seeded', ?)", (seeded,))
        elapsed = time.perf_counter() - started
        logger.debug(
            "seeded %s with %d rows in %.3f s", node.name, len(table.rows), elapsed
        )

    def _create_table_sql(self, node: NodeModel) -> str:
        definitions = []
        for prop in node.columns:
            if prop.name == "_id":
                definitions.append('"_id" INTEGER PRIMARY KEY')
            else:
                definitions.append(f"{prop.column} {prop.storage.upper()}")  # type: ignore[union-attr]
        return f"CREATE TABLE {node.table} ({', '.join(definitions)})"

    def _index_sql(self, node: NodeModel) -> list[str]:
        table = node.spec.table
        statements = []
        key = node.spec.natural_key
        if key:
            columns = ", ".join(quote(name) for name in key)
            index = quote(f"{table}__key")
            statements.append(
                f"CREATE UNIQUE INDEX {index} ON {node.table} ({columns})"
            )
        indexed = [p.name for p in node.columns if p.kind == "reference"]
        indexed += ["_createStamp", "_updateStamp", *node.spec.indexed]
        for name in dict.fromkeys(indexed):
            if key and name == key[0]:
                continue
            index = quote(f"{table}__{name}")
            statements.append(f"CREATE INDEX {index} ON {node.table} ({quote(name)})")
        return statements

    # --- reads ---------------------------------------------------------------

    def query(
        self, sql: str, parameters: Sequence[Any] | dict[str, Any], nodes: Iterable[str]
    ) -> list[sqlite3.Row]:
        """Run a SELECT over the tables of ``nodes``, seeding them first."""
        self.ensure(nodes)
        return self.connection.execute(sql, parameters).fetchall()

    def fetch(self, node: NodeModel, row_id: int) -> sqlite3.Row | None:
        """Return the row of ``node`` with ``_id`` ``row_id``, or None."""
        self.ensure((node.name,))
        cursor = self.connection.execute(
            f'SELECT * FROM {node.table} WHERE "_id" = ?', (row_id,)
        )
        row: sqlite3.Row | None = cursor.fetchone()
        return row

    def fetch_many(self, node: NodeModel, row_ids: list[int]) -> list[sqlite3.Row]:
        """Return the rows of ``node`` whose ``_id`` is in ``row_ids``."""
        self.ensure((node.name,))
        rows: list[sqlite3.Row] = []
        # Stay below SQLite's default limit on bound parameters per statement.
        for start in range(0, len(row_ids), 500):
            chunk = row_ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            sql = f'SELECT * FROM {node.table} WHERE "_id" IN ({marks})'
            rows += self.connection.execute(sql, chunk).fetchall()
        return rows

    def resolve_id(self, node: NodeModel, value: str | int) -> int | None:
        """Return the ``_id`` named by ``value``, or None when no row matches.

        ``value`` is an ``_id`` (integer or digits) or ``#`` and the natural key.
        Only existing rows are found; a negative or unknown ``_id`` gives None.
        """
        if isinstance(value, int):
            row_id: int | None = value
        else:
            text = value.strip()
            if text.startswith("#"):
                return self.find_by_key(node, text[1:])
            row_id = int(text) if _INTEGER_TEXT.fullmatch(text) else None
        if row_id is None or row_id <= 0:
            return None
        return row_id if self.fetch(node, row_id) is not None else None

    def key_width(self, node: NodeModel) -> int:
        """Return how many ``|``-separated parts the natural key of ``node`` has."""
        width = 0
        for name in node.spec.natural_key:
            prop = node.properties[name]
            if prop.kind == "reference":
                width += self.key_width(self.model[str(prop.target)])
            else:
                width += 1
        return width

    def find_by_key(self, node: NodeModel, key: str) -> int | None:
        """Return the ``_id`` of the row whose natural key is ``key``, or None."""
        names = node.spec.natural_key
        if not names:
            return None
        parts = key.split("|")
        if len(parts) != self.key_width(node):
            return None
        conditions, values = [], []
        for name in names:
            prop = node.properties[name]
            if prop.kind == "reference":
                target = self.model[str(prop.target)]
                width = self.key_width(target)
                part, parts = "|".join(parts[:width]), parts[width:]
                value: Any = self.find_by_key(target, part)
            else:
                part, parts = parts[0], parts[1:]
                value = _key_part(prop, part)
            if value is None:
                return None
            conditions.append(f"{prop.column} = ?")
            values.append(value)
        where = " AND ".join(conditions)
        rows = self.query(
            f'SELECT "_id" FROM {node.table} WHERE {where}', values, (node.name,)
        )
        return int(rows[0][0]) if rows else None

    def natural_key(self, node: NodeModel, row: sqlite3.Row) -> str | None:
        """Return ``#`` and the natural key of ``row``, or None for a keyless node."""
        parts = []
        for name in node.spec.natural_key:
            prop = node.properties[name]
            value = row[name]
            if prop.kind == "reference":
                target = self.model[str(prop.target)]
                target_row = self.fetch(target, value)
                key = (
                    None if target_row is None else self.natural_key(target, target_row)
                )
                if key is None:
                    return None
                parts.append(key[1:])
            else:
                parts.append(str(prop.to_output(value)))
        return "#" + "|".join(parts) if parts else None


def _key_part(prop: Property, text: str) -> Any:
    if prop.kind == "enum":
        return prop.enum_values.index(text) if text in prop.enum_values else None
    if prop.storage == "integer":
        return int(text) if _INTEGER_TEXT.fullmatch(text) else None
    return text
