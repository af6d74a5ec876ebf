"""The asynchronous ``generateReportPdf`` operation of the emulated tenant.

A mutation starts a generation and returns a tracking id. Each ``track`` query
returns the current status and then moves it one step, from ``pending`` to
``running`` to ``success`` or ``error``.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLSchema

from ._diagnostics import record_not_found
from ._resolvers import object_type
from ._state import Info, RequestState, state_of

__all__ = ["install_report_resolvers"]

# Reports that print one document: report name -> node of that document.
_REPORTS = {"salesOrder": "SalesOrder", "purchaseOrder": "PurchaseOrder"}
_NAMESPACE = uuid.UUID("5d6f3b52-4c1e-4f7a-9a43-2f0c1d9e8b10")


@dataclass
class _Generation:
    """One report generation and its planned outcome."""

    status: str
    result: str | None
    error_message: str | None

    def view(self) -> dict[str, Any]:
        done = self.status in ("success", "error")
        return {
            "status": self.status,
            "result": self.result if self.status == "success" else None,
            "errorMessage": self.error_message if done else None,
        }


def _pdf(title: str) -> bytes:
    """Return a one-page PDF document that shows ``title``."""
    text = title.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = f"BT /F1 18 Tf 72 770 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    output = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(output))
        output += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = len(output)
    output += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        output += b"%010d 00000 n \n" % offset
    output += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    output += b"startxref\n%d\n%%%%EOF\n" % table
    return bytes(output)


def _plan(state: RequestState, report: str, parameters: str | None) -> _Generation:
    """Decide at start how a generation will end, from its report and document."""
    node_name = _REPORTS.get(report)
    if node_name is None:
        known = ", ".join(sorted(_REPORTS))
        return _Generation(
            "pending", None, f"Unknown report {report!r}; known: {known}."
        )
    values = json.loads(parameters) if parameters else {}
    document = values.get("_id") if isinstance(values, dict) else None
    node = state.model[node_name]
    row_id = None if document is None else state.database.resolve_id(node, document)
    if row_id is None:
        return _Generation(
            "pending", None, f"{node_name}: Record not found: {document}"
        )
    record = state.record(node, row_id)
    number = "" if record is None else str(record.row["number"])
    pdf = _pdf(f"{node_name} {number}")
    result = {
        "fileName": f"{number}.pdf",
        "mimeType": "application/pdf",
        "contentBase64": base64.b64encode(pdf).decode("ascii"),
    }
    return _Generation("pending", json.dumps(result), None)


def _start(
    _source: Any,
    info: Info,
    reportName: str,
    parameters: str | None = None,
) -> dict[str, str]:
    state = state_of(info)
    generations = state.engine.reports
    tracking_id = str(uuid.uuid5(_NAMESPACE, str(len(generations) + 1)))
    generations[tracking_id] = _plan(state, reportName, parameters)
    return {"trackingId": tracking_id}


def _track(
    _source: Any,
    info: Info,
    trackingId: str,
) -> dict[str, Any]:
    generation = state_of(info).engine.reports.get(trackingId)
    if not isinstance(generation, _Generation):
        raise record_not_found("generateReportPdf", trackingId, ["trackingId"])
    view = generation.view()
    if generation.status == "pending":
        generation.status = "running"
    elif generation.status == "running":
        generation.status = "error" if generation.error_message else "success"
    return view


def _group(_source: Any, info: Info) -> str:
    return info.field_name


def install_report_resolvers(schema: GraphQLSchema) -> None:
    """Attach the resolvers of ``xtremReporting`` on the query and mutation sides."""
    for type_name, field_name in (
        ("XtremReporting", "report"),
        ("XtremReporting_Mutation", "report"),
        ("Report_Operations", "generateReportPdf"),
        ("Report_Mutations", "generateReportPdf"),
    ):
        object_type(schema, type_name).fields[field_name].resolve = _group
    object_type(schema, "Report_GenerateReportPdf_Mutation").fields[
        "start"
    ].resolve = _start
    object_type(schema, "Report_GenerateReportPdf_Query").fields[
        "track"
    ].resolve = _track
