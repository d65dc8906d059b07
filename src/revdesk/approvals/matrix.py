"""The authority matrix: who approves each level, by customer segment and region.

Rows give a `segment` (smb, mid_market, enterprise or `*`) and a `region` (any text or `*`),
then one column per level with the approver: an e-mail, `role:<role>` or `group:<group>`. The
most specific row wins: exact segment and region, then exact segment with region `*`, then
`*` with the exact region, then `* / *`; an empty cell falls through to the next row. The
matrix is written inline in the policy (`rows:`) or in a CSV file (`csv:`), e.g.::

    segment,region,manager,vp
    enterprise,NA,marcus.bell@northwind.example,dana.whitfield@northwind.example
    *,*,role:manager,role:vp
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from revdesk.core.errors import InvalidInput
from revdesk.crm.model import Segment

__all__ = ["AuthorityMatrix", "MatrixRow", "matrix_from_csv", "matrix_from_rows"]

ANY: Final = "*"
_KEYS: Final = ("segment", "region")


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One row: its segment and region (or `*`), approvers by level, and where it was read."""

    segment: str
    region: str
    cells: Mapping[str, str]
    where: str


@dataclass(frozen=True, slots=True)
class AuthorityMatrix:
    """Levels (column names) and rows; `lookup` finds a level's approver for a deal."""

    levels: tuple[str, ...]
    rows: tuple[MatrixRow, ...]

    def lookup(self, segment: str, region: str, level: str) -> MatrixRow | None:
        """The most specific row with a non-empty `level` cell for this segment and region."""
        for wanted in ((segment, region), (segment, ANY), (ANY, region), (ANY, ANY)):
            for row in self.rows:
                if (row.segment, row.region) == wanted and row.cells.get(level):
                    return row
        return None


def _row(values: Mapping[str, str], levels: Sequence[str], where: str) -> MatrixRow:
    segment = (values.get("segment") or "").strip()
    region = (values.get("region") or "").strip()
    if segment != ANY and segment not in {s.value for s in Segment}:
        allowed = ", ".join([*(s.value for s in Segment), ANY])
        raise InvalidInput(
            f"unknown segment {segment!r} in the authority matrix; allowed: {allowed}", where=where
        )
    if not region:
        raise InvalidInput("the authority matrix row has no region (use * for any)", where=where)
    cells = {level: (values.get(level) or "").strip() for level in levels}
    return MatrixRow(segment, region, MappingProxyType(cells), where)


def _checked(levels: tuple[str, ...], rows: list[MatrixRow]) -> AuthorityMatrix:
    seen: dict[tuple[str, str], str] = {}
    for row in rows:
        key = (row.segment, row.region)
        if key in seen:
            raise InvalidInput(
                f"segment {row.segment!r} and region {row.region!r} are given twice in the "
                f"authority matrix (first at {seen[key]})",
                where=row.where,
            )
        seen[key] = row.where
    if not levels:
        raise InvalidInput("the authority matrix has no level columns besides segment and region")
    return AuthorityMatrix(levels, tuple(rows))


def matrix_from_rows(rows: Sequence[Mapping[str, str]], wheres: Sequence[str]) -> AuthorityMatrix:
    """The matrix written inline; `wheres` gives each row's position in the policy file."""
    levels = tuple(dict.fromkeys(k for row in rows for k in row if k not in _KEYS))
    for row, where in zip(rows, wheres, strict=True):
        missing = [key for key in _KEYS if key not in row]
        if missing:
            raise InvalidInput(f"the authority matrix row has no {missing[0]!r}", where=where)
    return _checked(levels, [_row(r, levels, w) for r, w in zip(rows, wheres, strict=True)])


def matrix_from_csv(text: str, source: str) -> AuthorityMatrix:
    """The matrix in a CSV file (header: segment, region, then one column per level)."""
    reader = csv.reader(io.StringIO(text))
    header = [name.strip() for name in next(reader, [])]
    missing = [key for key in _KEYS if key not in header]
    if missing:
        raise InvalidInput(
            f"the authority matrix has no {missing[0]!r} column", where=f"{source}:1:1"
        )
    levels = tuple(name for name in header if name not in _KEYS)
    rows = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        where = f"{source}:{reader.line_num}:1"
        if len(cells) != len(header):
            raise InvalidInput(
                f"the row has {len(cells)} cells, the header {len(header)}", where=where
            )
        rows.append(_row(dict(zip(header, cells, strict=True)), levels, where))
    return _checked(levels, rows)
