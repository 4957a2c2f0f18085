"""The indicators as a table: one line per indicator, one column per entity and for the group.

The same table is written as CSV (French spreadsheets: semicolons, decimal comma, formulas
neutralised) and as an XLSX workbook (openpyxl in write-only mode).
"""

from __future__ import annotations

import csv
import io
from typing import Any, Protocol

from tremplin.core.spreadsheets import csv_cell
from tremplin.indicators import rules
from tremplin.indicators.engine import Report
from tremplin.organisations.models import Entity, Group


def table(report: Report, *, scope: Entity | Group) -> tuple[list[str], list[list[Any]]]:
    """Header and lines: indicator key, label, unit, then the value for each column.

    A group has a first column for the group, then one per entity; an entity has one column.
    """
    columns: list[tuple[str, dict[str, rules.Value]]] = [(scope.name, report.total)]
    if isinstance(scope, Group):
        columns += [(e.name, report.by_entity[e.pk]) for e in report.entities]
    header = ["indicateur", "libellé", "unité", *(name for name, _ in columns)]
    values = [
        {key: value for key, _, _, value in rules.export_rows(indicators)}
        for _, indicators in columns
    ]
    lines = [
        [key, label, unit, *(column.get(key, 0 if "." in key else None) for column in values)]
        for key, label, unit, _ in rules.export_rows(report.total)
    ]
    return header, lines


class Writable(Protocol):
    """Where the CSV goes: a file, an HTTP response, a command's stdout."""

    def write(self, text: str, /) -> object: ...


def write_csv(out: Writable, report: Report, *, scope: Entity | Group) -> None:
    header, lines = table(report, scope=scope)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    for line in lines:
        writer.writerow([csv_cell(cell) for cell in line])


def xlsx_bytes(report: Report, *, scope: Entity | Group) -> bytes:
    """An XLSX workbook of the table, figures as numbers (openpyxl writes decimals as they are)."""
    import openpyxl

    header, lines = table(report, scope=scope)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=f"Indicateurs {report.year}")
    sheet.append([f"{scope.name} — indicateurs {report.year}"])
    sheet.append([f"Date de référence : {report.reference_date:%d/%m/%Y}"])
    sheet.append([])
    sheet.append(header)
    for line in lines:
        sheet.append([_xlsx_cell(cell) for cell in line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        return "'" + value
    return value
