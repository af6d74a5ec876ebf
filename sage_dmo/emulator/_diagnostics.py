"""Error codes, diagnosis severities and the GraphQL errors of the emulated tenant.

Every business or input error of the tenant is built here, so that codes and
severities live in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql import GraphQLError

from .._errors import FilterError

__all__ = [
    "BUSINESS_RULE_ERROR",
    "DATA_INPUT_ERROR",
    "SEVERITY_ERROR",
    "SEVERITY_EXCEPTION",
    "SEVERITY_INFO",
    "SEVERITY_WARNING",
    "DiagnosisPath",
    "business_rule_error",
    "data_input_error",
    "diagnosis",
    "filter_error",
    "record_not_found",
]

# Severities of SDMO diagnoses. Severity 3 for an error is documented by Sage;
# the other three values are the emulator's choice.
SEVERITY_INFO = 1
SEVERITY_WARNING = 2
SEVERITY_ERROR = 3
SEVERITY_EXCEPTION = 4

# Values of ``extensions.code``. The real service sends ``data-input-error`` for
# a reference to a missing record. The emulator also uses it for other invalid
# input, such as filters, cursors and page sizes. ``business-rule-error`` marks a
# request that a rule of the application rejects, such as deleting a shipped
# order. It is the emulator's choice, because no public material shows the code.
DATA_INPUT_ERROR = "data-input-error"
BUSINESS_RULE_ERROR = "business-rule-error"

DiagnosisPath = Sequence[str | int]


def diagnosis(severity: int, message: str, path: DiagnosisPath = ()) -> dict[str, Any]:
    """Build one SDMO diagnosis.

    ``path`` locates the problem inside the field's arguments, for example
    ``["data", "lines", 0, "item"]`` or ``["filter"]``.
    """
    return {"severity": severity, "message": message, "path": list(path)}


def _error(code: str, message: str, diagnoses: list[dict[str, Any]]) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, "diagnoses": diagnoses})


def data_input_error(message: str, path: DiagnosisPath = ()) -> GraphQLError:
    """Build the error for an invalid argument or input value."""
    return _error(DATA_INPUT_ERROR, message, [diagnosis(SEVERITY_ERROR, message, path)])


def business_rule_error(message: str, path: DiagnosisPath = ()) -> GraphQLError:
    """Build the error for a request that a business rule rejects."""
    problem = diagnosis(SEVERITY_ERROR, message, path)
    return _error(BUSINESS_RULE_ERROR, message, [problem])


def record_not_found(
    node: str, value: object, path: DiagnosisPath = ()
) -> GraphQLError:
    """Build the error for a reference to a record that does not exist."""
    return data_input_error(f"{node}: Record not found: {value}", path)


def filter_error(error: FilterError, argument: str) -> GraphQLError:
    """Turn an invalid filter or orderBy into one error with a diagnosis per problem."""
    problems = [
        diagnosis(SEVERITY_ERROR, str(problem), [argument])
        for problem in error.problems
    ]
    return _error(DATA_INPUT_ERROR, str(error), problems)
