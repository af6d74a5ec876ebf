"""Mutations of the emulated tenant: create, update, delete and bulkUpdate.

Each mutation field runs in a savepoint, so a failed mutation changes nothing.
Lines of a vital collection are edited inside their document's ``create`` and
``update`` with ``_action``. Node-specific defaults and checks live in
``_mutation_rules``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from graphql import GraphQLSchema

from ._diagnostics import (
    DiagnosisPath,
    business_rule_error,
    data_input_error,
    record_not_found,
)
from ._model import Model, NodeModel, Property
from ._mutation_rules import RULES, NodeRules
from ._resolvers import object_type
from ._rules import make_etag
from ._scalars import datetime_to_ms, scale_decimal
from ._sql import SqlBuilder
from ._state import Info, RequestState, state_of

__all__ = ["Writer", "install_mutation_resolvers"]

_NEW_LINE_ID = re.compile(r"\s*-\d+\s*")
_ACTIONS = ("create", "update", "delete")
# Properties a client never sets: maintained by the tenant itself.
_SYSTEM = {"_id", "_createStamp", "_updateStamp", "_updateTick", "_etag"}
_NO_RULES = NodeRules()


class Writer:
    """Applies the mutations of one request to the database."""

    def __init__(self, state: RequestState) -> None:
        self.state = state
        self.database = state.database
        self.model: Model = state.model
        self.now_ms = datetime_to_ms(state.engine.clock())
        self.today = state.engine.clock().date()

    # --- reading -------------------------------------------------------------

    def row(self, node: NodeModel, row_id: int) -> dict[str, Any]:
        """Return the stored values of a row that is known to exist."""
        row = self.database.fetch(node, row_id)
        if row is None:
            raise record_not_found(node.name, row_id)
        return dict(row)

    def target_id(self, node: NodeModel, value: Any, path: DiagnosisPath) -> int:
        """Return the ``_id`` named by ``value`` (an _id or ``#key``) or raise."""
        row_id = self.database.resolve_id(node, value)
        if row_id is None:
            raise record_not_found(node.name, value, path)
        return row_id

    def key_text(self, node: NodeModel, row_id: int) -> str:
        """Return a readable name of a row: ``#`` and its natural key, or its _id."""
        row = self.database.fetch(node, row_id)
        key = None if row is None else self.database.natural_key(node, row)
        return key or str(row_id)

    # --- input values --------------------------------------------------------

    def stored_values(
        self, node: NodeModel, data: Mapping[str, Any], path: list[str | int]
    ) -> dict[str, Any]:
        """Convert the scalar, enum, reference and text inputs of ``data``."""
        values: dict[str, Any] = {}
        for name, value in data.items():
            prop = node.properties.get(name)
            if prop is None or name in _SYSTEM or prop.kind == "collection":
                continue
            values[name] = self._stored(prop, value, [*path, name])
        return values

    def _stored(self, prop: Property, value: Any, path: list[str | int]) -> Any:
        if value is None:
            if not prop.nullable:
                raise data_input_error(
                    f"{prop.node}.{prop.name}: a value is required, not null.", path
                )
            return None
        if prop.kind == "reference":
            return self.target_id(self.model[str(prop.target)], value, path)
        if prop.kind == "enum":
            return prop.enum_values.index(value)
        if prop.kind == "text":
            text = value.get("value") if isinstance(value, Mapping) else value
            return None if text is None else str(text)
        if isinstance(value, Decimal):
            try:
                return scale_decimal(value, prop.scale)
            except ValueError as error:
                raise data_input_error(
                    f"{prop.node}.{prop.name}: {error}.", path
                ) from None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, date):
            return value.isoformat()
        return value

    # --- checks --------------------------------------------------------------

    def check_required(self, node: NodeModel, values: Mapping[str, Any]) -> None:
        """Raise for a non-null property without a value."""
        for prop in node.columns:
            if prop.name in _SYSTEM or prop.nullable:
                continue
            if values.get(prop.name) is None:
                raise data_input_error(
                    f"{node.name}.{prop.name}: a value is required.",
                    ["data", prop.name],
                )

    def check_unique(
        self, node: NodeModel, values: Mapping[str, Any], row_id: int | None
    ) -> None:
        """Raise when another row already has the natural key of ``values``."""
        names = node.spec.natural_key
        if not names:
            return
        where = " AND ".join(f"{node.properties[name].column} = ?" for name in names)
        parameters = [values.get(name) for name in names]
        sql = f'SELECT "_id" FROM {node.table} WHERE {where} AND "_id" IS NOT ?'
        found = self.database.query(sql, [*parameters, row_id], (node.name,))
        if found:
            key = self.key_text(node, int(found[0][0]))
            raise data_input_error(
                f"{node.name}: Duplicate key {key}: another record already has it "
                f"(_id {found[0][0]}). Choose another {', '.join(names)}.",
                ["data", names[-1]],
            )

    # --- writing -------------------------------------------------------------

    def _rules(self, node: NodeModel) -> NodeRules:
        return RULES.get(node.name, _NO_RULES)

    def insert(self, node: NodeModel, values: dict[str, Any]) -> int:
        """Insert a complete row with fresh system values and return its _id."""
        found = self.database.query(
            f'SELECT COALESCE(MAX("_id"), 0) + 1 FROM {node.table}', (), (node.name,)
        )
        row_id = int(found[0][0])
        values.update(
            {
                "_id": row_id,
                "_createStamp": self.now_ms,
                "_updateStamp": self.now_ms,
                "_updateTick": 1,
                "_etag": make_etag(node.spec.table, row_id, 1, self.now_ms),
                "_customData": values.get("_customData") or "{}",
            }
        )
        columns = [prop for prop in node.columns if prop.name in values]
        names = ", ".join(str(prop.column) for prop in columns)
        marks = ", ".join("?" * len(columns))
        self.database.connection.execute(
            f"INSERT INTO {node.table} ({names}) VALUES ({marks})",
            [values[prop.name] for prop in columns],
        )
        return row_id

    def save(self, node: NodeModel, row_id: int, values: dict[str, Any]) -> None:
        """Write changed values, a new update stamp, tick and version tag."""
        tick = int(self.row(node, row_id)["_updateTick"] or 0) + 1
        values = {
            **values,
            "_updateStamp": self.now_ms,
            "_updateTick": tick,
            "_etag": make_etag(node.spec.table, row_id, tick, self.now_ms),
        }
        assignments = ", ".join(
            f"{node.properties[name].column} = ?" for name in values
        )
        self.database.connection.execute(
            f'UPDATE {node.table} SET {assignments} WHERE "_id" = ?',
            [*values.values(), row_id],
        )

    def create(
        self,
        node: NodeModel,
        data: Mapping[str, Any],
        path: list[str | int],
        parent: tuple[str, int] | None = None,
    ) -> int:
        """Create a row (and its lines) from ``data`` and return its _id."""
        requested_id = data.get("_id")
        if requested_id is not None and not _NEW_LINE_ID.fullmatch(str(requested_id)):
            raise data_input_error(
                f"{node.name}: create takes no _id ({requested_id}); use update to "
                f"change an existing record.",
                [*path, "_id"],
            )
        values = self.stored_values(node, data, path)
        provided = set(values)
        for prop in node.columns:
            missing = prop.name not in values and prop.name not in _SYSTEM
            if missing and not prop.nullable:
                values[prop.name] = _generic_default(prop)
        if parent is not None:
            values[parent[0]] = parent[1]
            if "_sortValue" not in provided:
                values["_sortValue"] = self._next_sort_value(node, parent)

        rules = self._rules(node)
        rules.defaults(self, node, values, provided)
        rules.derive(self, node, values)
        self.check_required(node, values)
        self.check_unique(node, values, None)

        row_id = self.insert(node, values)
        self._edit_lines(node, row_id, data, path, creating=True)
        rules.after_lines(self, node, row_id)
        return row_id

    def _next_sort_value(self, node: NodeModel, parent: tuple[str, int]) -> int:
        """Return 10 more than the largest ``_sortValue`` of the parent's lines."""
        column = node.properties[parent[0]].column
        found = self.database.query(
            f'SELECT COALESCE(MAX("_sortValue"), 0) FROM {node.table} '
            f"WHERE {column} = ?",
            (parent[1],),
            (node.name,),
        )
        return int(found[0][0]) + 10

    def update(
        self,
        node: NodeModel,
        row_id: int,
        data: Mapping[str, Any],
        path: list[str | int],
    ) -> None:
        """Apply ``data`` (and its line actions) to an existing row."""
        changes = self.stored_values(node, data, path)
        merged = {**self.row(node, row_id), **changes}
        rules = self._rules(node)
        rules.derive(self, node, merged)
        self.check_required(node, merged)
        if any(name in changes for name in node.spec.natural_key):
            self.check_unique(node, merged, row_id)
        stored = {
            prop.name: merged[prop.name]
            for prop in node.columns
            if prop.name not in _SYSTEM
        }
        self.save(node, row_id, stored)
        self._edit_lines(node, row_id, data, path, creating=False)
        rules.after_lines(self, node, row_id)

    def _edit_lines(
        self,
        node: NodeModel,
        row_id: int,
        data: Mapping[str, Any],
        path: list[str | int],
        *,
        creating: bool,
    ) -> None:
        for prop in self.model.vital_collections(node):
            lines = data.get(prop.name)
            if lines is None:
                continue
            child = self.model[str(prop.target)]
            for index, line in enumerate(lines):
                line_path = [*path, prop.name, index]
                self._edit_line(
                    child, str(prop.inverse), row_id, line, line_path, creating
                )

    def _edit_line(
        self,
        child: NodeModel,
        inverse: str,
        parent_id: int,
        line: Mapping[str, Any],
        path: list[str | int],
        creating: bool,
    ) -> None:
        action = line.get("_action")
        raw_id = line.get("_id")
        is_new = raw_id is None or bool(_NEW_LINE_ID.fullmatch(str(raw_id)))
        if action is None:
            action = "create" if is_new else "update"
        if action not in _ACTIONS:
            raise data_input_error(
                f"{child.name}: _action must be create, update or delete, "
                f"not {action!r}.",
                [*path, "_action"],
            )
        if creating and action != "create":
            raise data_input_error(
                f"{child.name}: a new document takes only new lines, so _action "
                f"{action!r} is not allowed in create.",
                [*path, "_action"],
            )
        if action == "create":
            self.create(child, line, path, parent=(inverse, parent_id))
            return
        line_id = None if is_new else self.database.resolve_id(child, str(raw_id))
        if line_id is None or self.row(child, line_id)[inverse] != parent_id:
            raise record_not_found(child.name, raw_id, [*path, "_id"])
        if action == "update":
            self.update(child, line_id, line, path)
        else:
            self.delete(child, line_id, path)

    def delete(self, node: NodeModel, row_id: int, path: list[str | int]) -> None:
        """Delete a row and its lines, unless a rule or a reference prevents it."""
        self._rules(node).check_delete(self, node, self.row(node, row_id), path)
        for prop in self.model.vital_collections(node):
            child = self.model[str(prop.target)]
            inverse = child.properties[str(prop.inverse)]
            lines = self.database.query(
                f'SELECT "_id" FROM {child.table} WHERE {inverse.column} = ?',
                (row_id,),
                (child.name,),
            )
            for line in lines:
                self.delete(child, int(line[0]), path)
        self._check_unreferenced(node, row_id, path)
        self.database.connection.execute(
            f'DELETE FROM {node.table} WHERE "_id" = ?', (row_id,)
        )

    def _check_unreferenced(
        self, node: NodeModel, row_id: int, path: list[str | int]
    ) -> None:
        for other in self.model.nodes.values():
            for prop in other.columns:
                if prop.target != node.name or prop.name == other.spec.parent:
                    continue
                found = self.database.query(
                    f"SELECT COUNT(*) FROM {other.table} WHERE {prop.column} = ?",
                    (row_id,),
                    (other.name,),
                )
                count = int(found[0][0])
                if count:
                    raise business_rule_error(
                        f"{node.name}: {self.key_text(node, row_id)} cannot be deleted "
                        f"because {count} {other.name} record(s) refer to it through "
                        f"{prop.name}. Change or delete those records first.",
                        path,
                    )


def _generic_default(prop: Property) -> Any:
    """Return the value of a non-null property that ``create`` left out."""
    if prop.kind == "enum":
        return 0
    if prop.type_name == "Boolean":
        return 0
    return None


def _mutation_fields(node: NodeModel) -> dict[str, Any]:
    def run(info: Info) -> tuple[RequestState, Writer]:
        state = state_of(info)
        state.forget_records()
        return state, Writer(state)

    def create(_source: Any, info: Info, data: Mapping[str, Any]) -> Any:
        state, writer = run(info)
        with state.database.transaction():
            row_id = writer.create(node, data, ["data"])
        return state.record(node, row_id)

    def update(_source: Any, info: Info, data: Mapping[str, Any]) -> Any:
        state, writer = run(info)
        if data.get("_id") is None:
            raise data_input_error(
                f"{node.name}: update needs data._id, the _id or '#' and the natural "
                f"key of the record to change.",
                ["data", "_id"],
            )
        with state.database.transaction():
            row_id = writer.target_id(node, data["_id"], ["data", "_id"])
            writer.update(node, row_id, data, ["data"])
        return state.record(node, row_id)

    def delete(_source: Any, info: Info, _id: str) -> int:
        state, writer = run(info)
        with state.database.transaction():
            row_id = writer.target_id(node, _id, ["_id"])
            writer.delete(node, row_id, ["_id"])
        return 1

    def bulk_update(
        _source: Any,
        info: Info,
        data: Mapping[str, Any],
        filter: str | None = None,
    ) -> bool:
        state, writer = run(info)
        _check_bulk_data(state.model, node, data)
        builder = SqlBuilder(state.database, node)
        where = builder.condition(state.engine.condition(node, filter, "filter"))
        sql = f'SELECT {builder.alias}."_id" FROM {builder.source} WHERE {where}'
        with state.database.transaction():
            for row in state.database.query(sql, builder.parameters, builder.nodes):
                writer.update(node, int(row[0]), data, ["data"])
        return True

    return {
        "create": create,
        "update": update,
        "delete": delete,
        "bulkUpdate": bulk_update,
    }


def _check_bulk_data(model: Model, node: NodeModel, data: Mapping[str, Any]) -> None:
    if data.get("_id") is not None:
        raise data_input_error(
            f"{node.name}: bulkUpdate applies data to every record that matches the "
            f"filter, so data takes no _id.",
            ["data", "_id"],
        )
    for prop in model.vital_collections(node):
        if data.get(prop.name) is not None:
            raise data_input_error(
                f"{node.name}: bulkUpdate cannot edit {prop.name}; use update on each "
                f"{node.name}.",
                ["data", prop.name],
            )


def _package(_source: Any, info: Info) -> str:
    return info.field_name


def _returning(node: NodeModel) -> Any:
    def operations(_source: Any, _info: Info) -> NodeModel:
        return node

    return operations


def install_mutation_resolvers(schema: GraphQLSchema, model: Model) -> None:
    """Attach the resolvers of every mutation field of ``schema``."""
    mutation_type = schema.mutation_type
    if mutation_type is None:
        raise LookupError("the tenant schema has no Mutation type")
    for field in mutation_type.fields.values():
        field.resolve = _package
    for node in model.nodes.values():
        if not node.spec.writable or node.spec.parent is not None:
            continue
        package = node.spec.package
        package_type = object_type(
            schema, f"{package[0].upper()}{package[1:]}_Mutation"
        )
        package_type.fields[node.spec.operation].resolve = _returning(node)
        mutations = object_type(schema, f"{node.name}_Mutations")
        for name, resolve in _mutation_fields(node).items():
            mutations.fields[name].resolve = resolve
