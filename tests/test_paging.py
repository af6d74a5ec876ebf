"""Paging through connections and incremental sync, against the emulator."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from sage_dmo import PagingError, QueryValidationError, SageDMOClient
from sage_dmo._paging import Page, iterate_nodes, iterate_pages
from sage_dmo._sync import Watermark, sync_changes
from sage_dmo.emulator import Emulator, ManualClock
from sage_dmo.emulator._faults import Fault

ClientFactory = Callable[..., SageDMOClient]

ITEMS = """
query Items($first: Int, $after: String) {
  xtremMasterData {
    item {
      query(first: $first, after: $after) {
        totalCount
        pageInfo { endCursor hasNextPage }
        edges { node { _id id name } }
      }
    }
  }
}
"""

ITEMS_WITHOUT_COUNT = """
query Items($first: Int, $after: String) {
  xtremMasterData { item { query(first: $first, after: $after) {
    pageInfo { endCursor hasNextPage } edges { node { _id } } } } }
}
"""

CHANGES = """
query ItemChanges($first: Int, $after: String, $filter: String, $orderBy: String) {
  xtremMasterData {
    item {
      query(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
        pageInfo { endCursor hasNextPage }
        edges { node { _id id name isActive _updateStamp } }
      }
    }
  }
}
"""

CREATE_ITEM = """
mutation CreateItem($data: Item_Input!) {
  xtremMasterData { item { create(data: $data) { _id _updateStamp } } }
}
"""

UPDATE_ITEM = """
mutation UpdateItem($data: Item_Input!) {
  xtremMasterData { item { update(data: $data) { _id _updateStamp } } }
}
"""


def _fault_page(nodes: list[dict[str, Any]], cursor: str | None, more: bool) -> Fault:
    """A 200 response with a crafted item page instead of the tenant's."""
    connection = {
        "totalCount": 40,
        "pageInfo": {"endCursor": cursor, "hasNextPage": more},
        "edges": [{"node": node} for node in nodes],
    }
    body = {"data": {"xtremMasterData": {"item": {"query": connection}}}}
    return Fault(
        "status", status=200, body=json.dumps(body), content_type="application/json"
    )


async def _all_nodes(
    client: SageDMOClient, query: str = ITEMS, **options: Any
) -> list[dict[str, Any]]:
    return [node async for node in iterate_nodes(client, query, **options)]


async def _read_into(
    read: list[dict[str, Any]], rows: AsyncIterator[dict[str, Any]]
) -> None:
    async for row in rows:
        read.append(row)


# --- paging ------------------------------------------------------------------


@pytest.mark.parametrize("page_size", [1, 7, 40, 41, 500])
async def test_every_row_read_once(
    emulator: Emulator, make_client: ClientFactory, page_size: int
) -> None:
    """All rows arrive exactly once, whatever the page size."""
    async with make_client() as client:
        pages = [
            page async for page in iterate_pages(client, ITEMS, page_size=page_size)
        ]
    ids = [node["_id"] for page in pages for node in page.nodes]
    assert len(ids) == pages[0].total_count
    assert len(set(ids)) == len(ids)


async def test_pages_carry_counts_and_ends(make_client: ClientFactory) -> None:
    """Each page has its rows, totalCount and cursor; only the last ends."""
    async with make_client() as client:
        pages = [page async for page in iterate_pages(client, ITEMS, page_size=15)]
    assert [len(page.nodes) for page in pages] == [15, 15, 10]
    assert [page.has_next_page for page in pages] == [True, True, False]
    assert {page.total_count for page in pages} == {40}
    assert all(page.end_cursor for page in pages)


async def test_cursor_with_quotes_sent_as_variable(
    make_client: ClientFactory,
) -> None:
    """The emulator's cursors contain double quotes and still page correctly."""
    async with make_client() as client:
        pages = [page async for page in iterate_pages(client, ITEMS, page_size=30)]
    assert '"' in str(pages[0].end_cursor)
    assert len(pages) == 2


async def test_progress_gets_rows_and_total(make_client: ClientFactory) -> None:
    """The progress callback receives rows done and totalCount after each page."""
    calls: list[tuple[int, int | None]] = []
    async with make_client() as client:
        await _all_nodes(
            client,
            page_size=15,
            progress=lambda done, total: calls.append((done, total)),
        )
    assert calls == [(15, 40), (30, 40), (40, 40)]


async def test_progress_total_none_without_count(make_client: ClientFactory) -> None:
    """Without totalCount in the query, the progress total is None."""
    calls: list[tuple[int, int | None]] = []
    async with make_client() as client:
        await _all_nodes(
            client,
            ITEMS_WITHOUT_COUNT,
            page_size=25,
            progress=lambda done, total: calls.append((done, total)),
        )
    assert calls == [(25, None), (40, None)]


async def test_after_variable_resumes_paging(make_client: ClientFactory) -> None:
    """An 'after' cursor in the variables starts after that row."""
    async with make_client() as client:
        first = [page async for page in iterate_pages(client, ITEMS, page_size=10)]
        rest = await _all_nodes(
            client, variables={"after": first[0].end_cursor}, page_size=10
        )
    expected = [node["_id"] for page in first[1:] for node in page.nodes]
    assert [node["_id"] for node in rest] == expected


async def test_empty_connection_yields_one_page(make_client: ClientFactory) -> None:
    """A filter that matches nothing gives one empty, final page."""
    query = ITEMS.replace("$after: String)", "$after: String, $filter: String)")
    query = query.replace("after: $after)", "after: $after, filter: $filter)")
    async with make_client() as client:
        pages = [
            page
            async for page in iterate_pages(
                client, query, {"filter": "{id: 'NO SUCH ITEM'}"}
            )
        ]
    assert pages == [Page([], 0, None, False)]


async def test_aliases_and_fragments_followed(make_client: ClientFactory) -> None:
    """The connection is found through a fragment and read by its aliases."""
    query = """
    query Items($size: Int, $cursor: String) {
      master: xtremMasterData { ...ItemPages }
    }
    fragment ItemPages on XtremMasterData {
      item { rows: query(first: $size, after: $cursor) {
        info: pageInfo { next: hasNextPage last: endCursor }
        list: edges { row: node { key: _id } }
      } }
    }
    """
    async with make_client() as client:
        nodes = await _all_nodes(client, query, page_size=16)
    assert len({node["key"] for node in nodes}) == 40


async def test_path_chooses_between_connections(make_client: ClientFactory) -> None:
    """With two connections selected, the dotted path names the one to page."""
    query = ITEMS.replace(
        "xtremMasterData {",
        "xtremMasterData { currency { query { totalCount edges { node { id } } "
        "pageInfo { hasNextPage } } }",
    )
    async with make_client() as client:
        nodes = await _all_nodes(
            client, query, page_size=25, path="xtremMasterData.item.query"
        )
    assert len(nodes) == 40


async def test_two_connections_need_a_path(make_client: ClientFactory) -> None:
    """Without a path, two connections are an error that lists both."""
    query = ITEMS.replace(
        "xtremMasterData {",
        "xtremMasterData { currency { query { edges { node { id } } "
        "pageInfo { hasNextPage } } }",
    )
    async with make_client() as client:
        with pytest.raises(QueryValidationError, match=r"currency\.query") as caught:
            await _all_nodes(client, query)
    assert "xtremMasterData.item.query" in str(caught.value)


# --- documents that cannot page ----------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("$after: String)", ")", r'declare "\$after: String"'),
        ("after: $after)", ")", r'pass "after: \$after"'),
        ("first: $first", "first: 500", r'declare "\$first: Int"'),
        ("$first: Int", "$first: String", r"declare it as \$first: Int"),
        ("$after: String", "$after: String!", r"declare it as \$after: String"),
        ("endCursor ", "", "endCursor under xtremMasterData.item.query.pageInfo"),
        ("node { _id id name }", "cursor", r"needs node under .*\.edges"),
    ],
)
async def test_unpageable_document_rejected(
    make_client: ClientFactory, old: str, new: str, expected: str
) -> None:
    """A document that cannot page is rejected with what to add or change."""
    query = ITEMS.replace(old, new)
    assert query != ITEMS
    async with make_client() as client:
        with pytest.raises(QueryValidationError, match=expected):
            await _all_nodes(client, query)
        assert client.transport.retries == 0


async def test_mutation_document_rejected(make_client: ClientFactory) -> None:
    """Paging accepts only query operations."""
    async with make_client() as client:
        with pytest.raises(QueryValidationError, match="not a mutation"):
            await _all_nodes(client, CREATE_ITEM)


async def test_no_connection_rejected(make_client: ClientFactory) -> None:
    """A document without edges and pageInfo names what to select."""
    async with make_client() as client:
        with pytest.raises(QueryValidationError, match="selects no connection"):
            await _all_nodes(client, "{ __typename }")


async def test_invalid_page_size_rejected(make_client: ClientFactory) -> None:
    """A page size below 1 is a ValueError before any request."""
    async with make_client() as client:
        with pytest.raises(ValueError, match="page_size must be 1 or more"):
            await _all_nodes(client, page_size=0)


async def test_first_in_variables_rejected(make_client: ClientFactory) -> None:
    """Setting the page-size variable directly points to page_size."""
    async with make_client() as client:
        with pytest.raises(ValueError, match="page_size=10"):
            await _all_nodes(client, variables={"first": 10})


# --- pages that would never end ----------------------------------------------


async def test_empty_page_with_next_raises(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    """An empty page that claims more rows raises PagingError, not a loop."""
    emulator.faults.queue(_fault_page([], None, more=True))
    async with make_client() as client:
        with pytest.raises(PagingError, match="empty but has hasNextPage: true"):
            await _all_nodes(client)


async def test_repeated_cursor_raises(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    """A page that repeats an earlier endCursor raises PagingError."""
    page = _fault_page([{"_id": "1", "id": "A", "name": "a"}], '["1"]', more=True)
    emulator.faults.queue(page, times=2)
    read: list[dict[str, Any]] = []
    async with make_client() as client:
        with pytest.raises(PagingError, match="repeats the endCursor"):
            await _read_into(read, iterate_nodes(client, ITEMS))
    assert len(read) == 1


async def test_cursor_missing_with_next_raises(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    """A page that claims more rows but has no endCursor raises PagingError."""
    emulator.faults.queue(_fault_page([{"_id": "1"}], None, more=True))
    async with make_client() as client:
        with pytest.raises(PagingError, match="but no endCursor"):
            await _all_nodes(client)


async def test_null_connection_raises(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    """A response with null where the connection belongs raises PagingError."""
    body = json.dumps({"data": {"xtremMasterData": {"item": None}}})
    emulator.faults.queue(
        Fault("status", status=200, body=body, content_type="application/json")
    )
    async with make_client() as client:
        with pytest.raises(PagingError, match=r"null at xtremMasterData\.item"):
            await _all_nodes(client)


# --- incremental sync ----------------------------------------------------------


async def _create_items(client: SageDMOClient, prefix: str, count: int) -> list[str]:
    ids = []
    for number in range(count):
        data = {"id": f"{prefix}{number:03d}", "name": f"{prefix} item {number}"}
        answer = await client.execute(CREATE_ITEM, {"data": data})
        ids.append(answer["xtremMasterData"]["item"]["create"]["_id"])
    return ids


async def _update_items(client: SageDMOClient, ids: list[str]) -> None:
    for row_id in ids:
        data = {"_id": row_id, "description": f"changed {row_id}"}
        await client.execute(UPDATE_ITEM, {"data": data})


async def _sync_ids(
    client: SageDMOClient, since: Any, **options: Any
) -> tuple[list[str], Watermark | None]:
    async with sync_changes(client, CHANGES, since, **options) as changes:
        ids = [row["_id"] async for row in changes]
    return ids, changes.watermark


async def test_sync_three_runs_read_each_change_once(
    make_client: ClientFactory, clock: ManualClock
) -> None:
    """Run 1 reads all, run 2 only the changed rows, run 3 nothing."""
    async with make_client() as client:
        created = await _create_items(client, "SAME", 12)  # all share one stamp
        first_ids, first_mark = await _sync_ids(client, None, page_size=5)
        assert len(first_ids) == 52
        assert len(set(first_ids)) == 52
        assert first_mark == Watermark("2026-01-05T08:00:00.000Z", created[-1])

        clock.advance(1.0)
        changed = ["9", "10", "33", created[0], created[5]]
        await _update_items(client, changed)  # these share a later stamp
        added = await _create_items(client, "LATE", 2)
        stored = first_mark.to_text()
        second_ids, second_mark = await _sync_ids(client, stored, page_size=2)
        assert second_ids == [*sorted(changed, key=int), *added]
        assert second_mark == Watermark("2026-01-05T08:00:01.000Z", added[-1])

        assert second_mark is not None
        third_ids, third_mark = await _sync_ids(client, second_mark.to_dict())
        assert third_ids == []
        assert third_mark == second_mark


async def test_sync_resumes_inside_shared_stamp(make_client: ClientFactory) -> None:
    """A run stopped among rows of one stamp resumes at the next _id."""
    async with make_client() as client:
        created = await _create_items(client, "TIE", 12)
        since = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
        read: list[str] = []
        async with sync_changes(client, CHANGES, since, page_size=4) as changes:
            async for row in changes:
                read.append(row["_id"])
                if len(read) == 7:
                    break
        assert changes.watermark == Watermark("2026-01-05T08:00:00.000Z", created[6])
        assert changes.watermark is not None
        rest, _ = await _sync_ids(client, changes.watermark.to_text(), page_size=4)
    assert read + rest == created


async def test_sync_orders_ids_as_numbers(
    make_client: ClientFactory, clock: ManualClock
) -> None:
    """Rows 9 and 10 with one stamp come in numeric _id order, then resume."""
    async with make_client() as client:
        clock.advance(5.0)
        await _update_items(client, ["10", "9"])
        await _update_items(client, ["11"])
        since = clock.now()
        ids, mark = await _sync_ids(client, since)
        assert ids == ["9", "10", "11"]
        assert mark is not None
        after_nine = Watermark(mark.update_stamp, "9")
        rest, _ = await _sync_ids(client, after_nine)
    assert rest == ["10", "11"]


async def test_sync_combines_own_filter(
    make_client: ClientFactory, clock: ManualClock
) -> None:
    """A caller's filter narrows the changed rows further."""
    async with make_client() as client:
        first, mark = await _sync_ids(client, None, filter="{isActive: true}")
        clock.advance(1.0)
        await client.execute(UPDATE_ITEM, {"data": {"_id": "3", "isActive": False}})
        await client.execute(UPDATE_ITEM, {"data": {"_id": "4", "isActive": True}})
        changed, _ = await _sync_ids(client, mark, filter="{isActive: true}")
    assert "3" not in changed
    assert changed == ["4"]
    assert len(first) > 0


async def test_sync_needs_stamp_in_selection(make_client: ClientFactory) -> None:
    """A sync query must select _updateStamp in its node."""
    query = CHANGES.replace(" _updateStamp", "")
    async with make_client() as client:
        with pytest.raises(QueryValidationError, match="needs _updateStamp"):
            sync_changes(client, query, None)


async def test_sync_needs_filter_variable(make_client: ClientFactory) -> None:
    """A sync query must take its filter from a variable."""
    query = CHANGES.replace(", filter: $filter", "")
    async with make_client() as client:
        with pytest.raises(QueryValidationError, match=r'"\$filter: String"'):
            sync_changes(client, query, None)


async def test_sync_rejects_order_variable(make_client: ClientFactory) -> None:
    """The sort of a sync is fixed, so an orderBy variable is rejected."""
    async with make_client() as client:
        with pytest.raises(ValueError, match=r"variables set \$orderBy"):
            sync_changes(client, CHANGES, None, variables={"orderBy": "{name: 1}"})


# --- watermarks ------------------------------------------------------------------


def test_watermark_text_round_trip() -> None:
    """A watermark survives its text form."""
    mark = Watermark("2026-01-05T08:00:00.000Z", "41")
    assert mark.to_text() == "2026-01-05T08:00:00.000Z;41"
    assert Watermark.from_text(mark.to_text()) == mark


def test_watermark_dict_round_trip() -> None:
    """A watermark survives its dict form, through JSON."""
    mark = Watermark("2026-01-05T08:00:00.000Z", "41")
    text = json.dumps(mark.to_dict())
    assert Watermark.from_dict(json.loads(text)) == mark


def test_watermark_from_datetime_text() -> None:
    """Plain ISO text reads rows stamped at or after that time."""
    mark = Watermark.from_text("2026-01-05T09:00:00.123456+01:00")
    assert mark == Watermark("2026-01-05T08:00:00.123Z")
    assert mark.filter_text() == "{_updateStamp: {_gte: '2026-01-05T08:00:00.123Z'}}"


def test_watermark_filter_after_row() -> None:
    """A row's watermark matches later stamps, or the same stamp with a later _id."""
    mark = Watermark("2026-01-05T08:00:00.000Z", "41")
    assert mark.filter_text() == (
        "{_or: [{_updateStamp: {_gt: '2026-01-05T08:00:00.000Z'}}, "
        "{_updateStamp: '2026-01-05T08:00:00.000Z', _id: {_gt: '41'}}]}"
    )


def test_watermark_rejects_naive_datetime() -> None:
    """A datetime without a time zone is rejected."""
    with pytest.raises(ValueError, match="no time zone"):
        Watermark.from_datetime(datetime(2026, 1, 5, 8, 0))


def test_watermark_rejects_bad_stamp() -> None:
    """Text that is no ISO-8601 date-time is rejected with an example."""
    with pytest.raises(ValueError, match="not an ISO-8601 date-time"):
        Watermark.from_text("yesterday;12")


async def test_null_stamp_watermark_reads_stamped(make_client: ClientFactory) -> None:
    """A watermark of a row without a stamp reads every stamped row."""
    async with make_client() as client:
        ids, _ = await _sync_ids(client, Watermark(None, "38"))
    assert len(ids) == 40
