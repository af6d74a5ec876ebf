"""State shared by the resolvers of the emulated tenant, per tenant and per request.

``Engine`` lives as long as the tenant (database, schema, settings, caches);
``RequestState`` lives for one GraphQL request (diagnoses, records read).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

from graphql import GraphQLError, GraphQLResolveInfo, GraphQLSchema

from .._errors import FilterError
from .._filter_semantics import Condition, OrderKey, compile_filter, compile_order_by
from ._database import Database
from ._diagnostics import SEVERITY_WARNING, diagnosis, filter_error
from ._model import Model, NodeModel

__all__ = ["Engine", "Info", "LruCache", "Record", "RequestState", "state_of"]

if TYPE_CHECKING:
    # graphql-core 3.3 makes the resolve info generic in its context type.
    Info: TypeAlias = GraphQLResolveInfo[Any]
else:
    Info = GraphQLResolveInfo

K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A small least-recently-used cache."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, make: Callable[[], V]) -> V:
        """Return the cached value of ``key``, making and storing it when missing."""
        try:
            self._items.move_to_end(key)
            return self._items[key]
        except KeyError:
            value = make()
            self._items[key] = value
            if len(self._items) > self._size:
                self._items.popitem(last=False)
            return value


@dataclass
class Engine:
    """State shared by every request of one tenant."""

    schema: GraphQLSchema
    model: Model
    database: Database
    clock: Callable[[], datetime]
    max_page_size: int
    default_page_size: int
    filters: LruCache[tuple[str, str, str], Condition | FilterError] = field(
        default_factory=lambda: LruCache(512)
    )
    orders: LruCache[tuple[str, str], tuple[OrderKey, ...] | FilterError] = field(
        default_factory=lambda: LruCache(512)
    )
    # Report generations by tracking id; the report module owns the values.
    reports: dict[str, Any] = field(default_factory=dict)

    def condition(self, node: NodeModel, text: str | None, argument: str) -> Condition:
        """Compile a filter for ``node``; raise the GraphQL error of an invalid one."""
        key = (node.name, text or "", argument)

        def make() -> Condition | FilterError:
            try:
                return compile_filter(text or "", node.type, self.schema)
            except FilterError as error:
                return error

        result = self.filters.get(key, make)
        if isinstance(result, FilterError):
            raise filter_error(result, argument)
        return result

    def order_keys(self, node: NodeModel, text: str | None) -> tuple[OrderKey, ...]:
        """Compile an orderBy for ``node``; raise the GraphQL error if invalid."""

        def make() -> tuple[OrderKey, ...] | FilterError:
            try:
                return compile_order_by(text or "", node.type, self.schema)
            except FilterError as error:
                return error

        result = self.orders.get((node.name, text or ""), make)
        if isinstance(result, FilterError):
            raise filter_error(result, "orderBy")
        return result


class Record:
    """One row of a node, the source object of the node type's field resolvers.

    ``page`` holds the other records of the page that returned this one, so that
    a reference is read for the whole page at once.
    """

    __slots__ = ("node", "page", "row")

    def __init__(self, node: NodeModel, row: Any) -> None:
        self.node = node
        self.row = row
        self.page: list[Record] = []

    @property
    def id(self) -> int:
        return int(self.row["_id"])

    def __repr__(self) -> str:
        return f"Record({self.node.name}, _id={self.row['_id']})"


class RequestState:
    """Per-request state: the diagnoses to return and the records already read."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.database = engine.database
        self.model = engine.model
        self.diagnoses: list[dict[str, Any]] = []
        self._records: dict[tuple[str, int], Record | None] = {}

    def warn(self, message: str, path: list[str | int]) -> None:
        """Add a warning diagnosis to the response."""
        self.diagnoses.append(diagnosis(SEVERITY_WARNING, message, path))

    def record(self, node: NodeModel, row_id: int) -> Record | None:
        """Return the row of ``node`` with ``_id`` ``row_id``, read once per request."""
        key = (node.name, row_id)
        if key not in self._records:
            row = self.database.fetch(node, row_id)
            self._records[key] = None if row is None else Record(node, row)
        return self._records[key]

    def referenced(self, source: Record, name: str, target: NodeModel) -> Record | None:
        """Return the record that ``source.name`` refers to.

        On the first miss, the targets of ``name`` for the whole page of ``source``
        are read with one query, instead of one query per row.
        """
        row_id = source.row[name]
        if row_id is None:
            return None
        if (target.name, row_id) not in self._records and source.page:
            known = {key[1] for key in self._records if key[0] == target.name}
            missing = {record.row[name] for record in source.page} - known
            missing.discard(None)
            for row in self.database.fetch_many(target, sorted(missing)):
                self._records[(target.name, row["_id"])] = Record(target, row)
        return self.record(target, row_id)

    def forget_records(self) -> None:
        """Drop the records read so far, because a mutation may have changed them."""
        self._records.clear()


def state_of(info: Info) -> RequestState:
    """Return the request state that the tenant passes as the context value."""
    state = info.context
    if not isinstance(state, RequestState):
        raise GraphQLError("the tenant schema was executed without its request state")
    return state
