"""The Python and the Polars evaluators of a condition agree, on random conditions and quotes."""

from __future__ import annotations

import json
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revdesk.approvals.context import clause_parameters
from revdesk.approvals.context_frames import INDEX, EvaluationFrames
from revdesk.approvals.expr.checker import Scope, Type, check
from revdesk.approvals.expr.parser import parse
from revdesk.approvals.expr.python import compile_python
from revdesk.approvals.program import evaluate_column
from revdesk.pricing.fixed import UNITS, from_units, to_units

N, S, B = Type.NUMBER, Type.STRING, Type.BOOL
SCOPE = Scope(
    {
        "a": N,
        "b": N,
        "s": S,
        "t": S,
        "f": B,
        "kinds": Type.STRINGS,
        "lines": Type.LINES,
        "clauses": Type.CLAUSES,
        "line_count": N,
        "clause_count": N,
    },
    {
        Type.LINE: {"x": N, "y": N, "fam": S, "on": B},
        Type.CLAUSE: {"kind": S, "parameters": Type.PARAMETERS},
    },
)
WORDS = ["", "a", "ab", "b", "smb", "enterprise"]
KINDS = ["price_lock", "liability_cap", "mfn"]

numbers = st.decimals(min_value=-1000, max_value=1000, places=3)
literal_numbers = st.decimals(min_value=-50, max_value=50, places=2).map(lambda d: f"({d})")
strings = st.sampled_from(WORDS).map(lambda w: f"'{w}'")


def number_expr(depth: int, line: bool = False) -> st.SearchStrategy[str]:
    leaves = [literal_numbers, st.sampled_from(["a", "b", "size(s)", "size(kinds)", "size(lines)"])]
    if line:
        leaves.append(st.sampled_from(["l.x", "l.y"]))
    else:
        leaves.append(
            st.sampled_from(["size(lines.filter(l, l.on))", "size(lines.filter(l, l.x > a))"])
        )
    base = st.one_of(*leaves)
    if depth == 0:
        return base
    inner = number_expr(depth - 1, line)
    return st.one_of(
        base,
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "%"]), inner).map(
            lambda p: f"({p[0]} {p[1]} {p[2]})"
        ),
        inner.map(lambda e: f"-{e}"),
        st.tuples(bool_expr(depth - 1, line), inner, inner).map(
            lambda p: f"({p[0]} ? {p[1]} : {p[2]})"
        ),
    )


def string_expr(line: bool) -> st.SearchStrategy[str]:
    return st.one_of(strings, st.sampled_from(["s", "t", *(["l.fam"] if line else [])]))


def bool_expr(depth: int, line: bool = False) -> st.SearchStrategy[str]:
    comparison = st.tuples(
        number_expr(max(depth - 1, 0), line),
        st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
        number_expr(max(depth - 1, 0), line),
    ).map(lambda p: f"{p[0]} {p[1]} {p[2]}")
    text = st.tuples(
        string_expr(line), st.sampled_from(["==", "!=", "<", ">="]), string_expr(line)
    ).map(lambda p: f"{p[0]} {p[1]} {p[2]}")
    leaves = [
        comparison,
        text,
        st.sampled_from(
            [
                "f",
                "true",
                "false",
                "'price_lock' in kinds",
                "s in ['a', 'smb']",
                "a in [1, 2.5, -3]",
            ]
        ),
        st.tuples(
            string_expr(line),
            st.sampled_from(["startsWith", "endsWith", "contains"]),
            string_expr(line),
        ).map(lambda p: f"{p[0]}.{p[1]}({p[2]})"),
    ]
    if line:
        leaves.append(st.just("l.on"))
    else:
        body = bool_expr(max(depth - 1, 0), line=True)
        leaves += [
            st.tuples(st.sampled_from(["all", "exists", "exists_one"]), body).map(
                lambda p: f"lines.{p[0]}(l, {p[1]})"
            ),
            st.sampled_from(
                [
                    "clauses.exists(c, c.kind == 'price_lock' && c.parameters.years > 1)",
                    "clauses.all(c, c.parameters['multiple'] >= 2)",
                ]
            ),
        ]
    base = st.one_of(*leaves)
    if depth == 0:
        return base
    inner = bool_expr(depth - 1, line)
    return st.one_of(
        base,
        st.tuples(inner, st.sampled_from(["&&", "||"]), inner).map(
            lambda p: f"({p[0]} {p[1]} {p[2]})"
        ),
        inner.map(lambda e: f"!({e})"),
    )


line_rows = st.fixed_dictionaries(
    {"x": numbers, "y": numbers, "fam": st.sampled_from(WORDS), "on": st.booleans()}
)
clause_rows = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(KINDS),
        "parameters": st.fixed_dictionaries(
            {},
            optional={
                "years": st.integers(0, 4),
                "multiple": st.sampled_from(["2", "1.5", "x", 3]),
            },
        ),
    }
)
quote_rows = st.fixed_dictionaries(
    {
        "a": numbers,
        "b": numbers,
        "s": st.sampled_from(WORDS),
        "t": st.sampled_from(WORDS),
        "f": st.booleans(),
        "kinds": st.lists(st.sampled_from(KINDS), max_size=2, unique=True).map(sorted),
        "lines": st.lists(line_rows, max_size=3),
        "clauses": st.lists(clause_rows, max_size=2),
    }
)


def values_of(row: dict[str, object]) -> dict[str, object]:
    lines = tuple(row["lines"])  # type: ignore[arg-type]
    clauses = tuple(
        {"kind": c["kind"], "parameters": clause_parameters(c["parameters"])}
        for c in row["clauses"]  # type: ignore[attr-defined]
    )
    return {
        **{k: row[k] for k in ("a", "b", "s", "t", "f")},
        "kinds": tuple(row["kinds"]),  # type: ignore[arg-type]
        "lines": lines,
        "clauses": clauses,
        "line_count": Decimal(len(lines)),
        "clause_count": Decimal(len(clauses)),
    }


def frames_of(rows: list[dict[str, object]]) -> EvaluationFrames:
    quotes = pl.DataFrame(
        {
            INDEX: list(range(len(rows))),
            "a": [to_units(r["a"]) for r in rows],  # type: ignore[arg-type]
            "b": [to_units(r["b"]) for r in rows],  # type: ignore[arg-type]
            "s": [r["s"] for r in rows],
            "t": [r["t"] for r in rows],
            "f": [r["f"] for r in rows],
            "kinds": [r["kinds"] for r in rows],
            "line_count": [to_units(Decimal(len(r["lines"]))) for r in rows],  # type: ignore[arg-type]
            "clause_count": [to_units(Decimal(len(r["clauses"]))) for r in rows],  # type: ignore[arg-type]
        },
        schema_overrides={
            "a": UNITS,
            "b": UNITS,
            "line_count": UNITS,
            "clause_count": UNITS,
            INDEX: pl.Int64,
            "kinds": pl.List(pl.String),
        },
    )
    lines = [
        {INDEX: i, "x": to_units(li["x"]), "y": to_units(li["y"]), "fam": li["fam"], "on": li["on"]}
        for i, r in enumerate(rows)
        for li in r["lines"]  # type: ignore[attr-defined]
    ]
    clauses = [
        {INDEX: i, "kind": c["kind"], "parameters": json.dumps(c["parameters"])}
        for i, r in enumerate(rows)
        for c in r["clauses"]  # type: ignore[attr-defined]
    ]
    return EvaluationFrames(
        quotes=quotes,
        lines=pl.DataFrame(
            lines,
            schema={INDEX: pl.Int64, "x": UNITS, "y": UNITS, "fam": pl.String, "on": pl.Boolean},
        ),
        clauses=pl.DataFrame(
            clauses, schema={INDEX: pl.Int64, "kind": pl.String, "parameters": pl.String}
        ),
    )


def agree(text: str, rows: list[dict[str, object]]) -> None:
    checked = check(parse(text), text, SCOPE, expect=None)
    python = compile_python(checked)
    expected = [python(values_of(row), None) for row in rows]
    column = evaluate_column(checked, frames_of(rows)).to_list()
    if checked.type is Type.NUMBER:
        column = [from_units(v) for v in column]
    assert column == expected, text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=bool_expr(3), rows=st.lists(quote_rows, min_size=1, max_size=6))
def test_random_conditions_agree(text: str, rows: list[dict[str, object]]) -> None:
    agree(text, rows)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=number_expr(3), rows=st.lists(quote_rows, min_size=1, max_size=6))
def test_random_arithmetic_agrees(text: str, rows: list[dict[str, object]]) -> None:
    agree(text, rows)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2 / 3", Decimal("0.6666666667")),
        ("-2 / 3", Decimal("-0.6666666667")),
        ("1 / 0", Decimal(0)),
        ("7 % 3", Decimal(1)),
        ("-7 % 3", Decimal(-1)),
        ("7 % 0", Decimal(0)),
        ("0.00001 * 0.000004", Decimal(0)),  # 4e-11: below half of the 1e-10 step
        ("0.00001 * 0.000005", Decimal("1E-10")),  # half away from zero
        ("0.1 + 0.2 == 0.3 ? 1 : 0", Decimal(1)),  # exact decimals, not binary floats
    ],
)
def test_arithmetic_is_exact_decimal_with_half_up_rounding(text: str, value: Decimal) -> None:
    row = {
        "a": Decimal(0),
        "b": Decimal(0),
        "s": "",
        "t": "",
        "f": False,
        "kinds": [],
        "lines": [],
        "clauses": [],
    }
    checked = check(parse(text), text, SCOPE, expect=None)

    assert compile_python(checked)(values_of(row), None) == value
    agree(text, [row])


def test_empty_collections_follow_cel() -> None:
    row = {
        "a": Decimal(1),
        "b": Decimal(0),
        "s": "",
        "t": "",
        "f": False,
        "kinds": [],
        "lines": [],
        "clauses": [],
    }

    for text, value in [
        ("lines.all(l, l.x > 0)", True),
        ("lines.exists(l, l.x > 0)", False),
        ("lines.exists_one(l, l.x > 0)", False),
        ("size(lines.filter(l, l.on)) == 0", True),
        ("clauses.exists(c, c.parameters.years > 0)", False),
    ]:
        checked = check(parse(text), text, SCOPE)
        assert compile_python(checked)(values_of(row), None) is value
        agree(text, [row])
