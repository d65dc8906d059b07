"""Loading a policy: the shipped one loads; every refusal names file:line:column and the reason."""

# ruff: noqa: E501 - the expected messages are kept whole, one per case

from __future__ import annotations

from pathlib import Path

import pytest

from approvals_support import POLICY
from revdesk.approvals.directory import Directory, DirectoryUser
from revdesk.approvals.loader import load_policy, load_policy_file
from revdesk.core.errors import InvalidInput
from revdesk.crm.dataset import sample_company

ROOT = Path(__file__).resolve().parents[3]
STANDARD = ROOT / "examples" / "policies" / "standard.yaml"


def sample_directory() -> Directory:
    """The sample company's people (ids in file order)."""
    doc = sample_company()
    ids = {user.key: number for number, user in enumerate(doc.users, start=1)}
    return Directory(
        DirectoryUser(ids[u.key], u.name, u.email, u.role, ids.get(u.manager or ""))
        for u in doc.users
    )


def R(old: str, new: str) -> str:  # noqa: N802 - reads as a table of edits
    return POLICY.replace(old, new, 1)


CASES = [
    pytest.param(
        R("when: discount > 0.10", "when: discount > 0.10 &&"),
        "p.yaml:11:28: unexpected end of the condition",
        id="syntax",
    ),
    pytest.param(
        R("when: discount > 0.10", "when: discont > 0.10"),
        "p.yaml:11:11: unknown variable 'discont'; did you mean 'discount'?",
        id="unknown var",
    ),
    pytest.param(
        R("when: discount > 0.10", "when: discount > 'high'"),
        "p.yaml:11:11: type mismatch: cannot compare a number ('discount') and a string ('high')",
        id="mismatch",
    ),
    pytest.param(
        R("when: discount > 0.10", "when: discount"),
        "p.yaml:11:11: this must be true or false, but 'discount' is a number",
        id="not bool",
    ),
    pytest.param(
        R("line.discount > 0.3", "line.dicount > 0.3"),
        "p.yaml:5:42: unknown field 'dicount' of a line; fields: below_floor, cost_total, discount, family, floor_price, line_no, list_total, list_unit_price, margin, min_net_unit_price, net_total, net_unit_price, quantity, ramp_concession, ramped, recurring, sku, unit_cost, unit_discount",
        id="unknown field",
    ),
    pytest.param(
        R("finance: {steps: [finance]}", "finance: {steps: [finance, product]}"),
        "p.yaml:8:30: step 'product' of chain 'finance' is unreachable: no rule requires it",
        id="unreachable",
    ),
    pytest.param(
        R("when: payment_terms_days > 60", "when: 1 > 2"),
        "p.yaml:8:21: step 'finance' of chain 'finance' is unreachable: its rules can never fire",
        id="never fires",
    ),
    pytest.param(
        R("finance: {steps: [finance]}", "finance: {steps: [finance], after: [legal]}"),
        "p.yaml:8:39: chain 'finance' is ordered after 'legal', which is not a chain",
        id="after missing",
    ),
    pytest.param(
        R(
            "commercial: {steps: [manager, vp]}",
            "commercial: {steps: [manager, vp], after: [finance]}",
        ).replace(
            "finance: {steps: [finance]}", "finance: {steps: [finance], after: [commercial]}"
        ),
        "p.yaml:7:45: chains are ordered in a cycle: commercial -> finance -> commercial",
        id="cycle",
    ),
    pytest.param(
        R("approver: {role: vp}", "approver: {role: product}"),
        "p.yaml:19:22: approver role 'product' is held by no active user",
        id="role none",
    ),
    pytest.param(
        R("  - id: discount-20", "  - id: discount-10"),
        "p.yaml:16:9: rule id 'discount-10' is used twice (first on line 10)",
        id="dup rule",
    ),
    pytest.param(
        R("    step: vp\n", "    step: vp\n    step: vp\n"),
        "p.yaml:19:5: key 'step' is given twice",
        id="dup key",
    ),
    pytest.param(
        R("    approver: {role: vp}", "    approvr: {role: vp}"),
        "p.yaml:19:5: rules[1]: unknown key 'approvr'",
        id="unknown key",
    ),
    pytest.param(
        R("    reason: Long payment terms.\n", ""),
        "p.yaml:21:5: rules[2]: missing required key 'reason'",
        id="missing key",
    ),
    pytest.param(
        R("  deep_lines: {count: lines, where: line.discount > 0.3}", "  a: 'b + 1'\n  b: 'a * 2'"),
        "p.yaml:5:3: variables read each other in a cycle: a -> b -> a",
        id="var cycle",
    ),
    pytest.param(
        R("  deep_lines:", "  discount:"),
        "p.yaml:5:3: variable 'discount' is built in; choose another name",
        id="builtin",
    ),
    pytest.param(
        R("finance: {steps: [finance]}", "finance: {steps: [finance, vp]}"),
        "p.yaml:8:30: step 'vp' is listed twice (in chain 'commercial' and chain 'finance')",
        id="two chains",
    ),
    pytest.param(
        R("    step: manager\n", "    step: manager\n    chain: finance\n"),
        "p.yaml:13:12: rule 'discount-10' puts step 'manager' in chain 'finance', but chain 'commercial' lists it",
        id="chain mismatch",
    ),
    pytest.param(
        POLICY
        + "  - id: deep\n    when: deep_lines > 0\n    step: vp\n    approver: {role: cfo}\n    reason: Deep.\n",
        "p.yaml:29:15: rule 'deep' requires step 'vp' with a different approver than rule 'discount-20' (line 16); rules of one step must agree",
        id="disagree",
    ),
    pytest.param(
        R("approver: {role: vp}", "approver: {user: nobody@t.example}"),
        "p.yaml:19:22: no active user has the e-mail 'nobody@t.example'",
        id="user",
    ),
    pytest.param(
        R("approver: {role: vp}", "approver: {group: legal_team}"),
        "p.yaml:19:23: group 'legal_team' is not defined under groups",
        id="group",
    ),
    pytest.param(
        R("approver: {role: vp}", "approver: {matrix: vp}"),
        "p.yaml:19:24: matrix level 'vp' needs an authority_matrix",
        id="matrix none",
    ),
    pytest.param(
        R(
            "    sla_hours: 8\n",
            "    sla_hours: 8\n    reapproval: {variable: margni, worse: lower}\n",
        ),
        "p.yaml:15:28: reapproval variable 'margni' is not a number variable of the policy",
        id="reapproval",
    ),
    pytest.param(
        R("effective_from: 2026-01-01", "effective_from: 2026-01-01\neffective_to: 2025-12-31"),
        "p.yaml:4:15: effective_to 2025-12-31 is not after effective_from 2026-01-01",
        id="dates",
    ),
    pytest.param(
        "",
        "p.yaml:1:1: the file is empty; expected a policy mapping",
        id="empty",
    ),
    pytest.param(
        "- 1\n- 2\n",
        "p.yaml:1:1: a policy is a mapping with version, effective_from, chains and rules, not list",
        id="list",
    ),
    pytest.param(
        R("    step: vp", "   step: vp"),
        "p.yaml:18:4: YAML syntax error: while parsing a block collection expected <block end>, but found '<block mapping start>'",
        id="yaml",
    ),
    pytest.param(
        R("approver: {role: vp}", "approver: {role: boss}"),
        "p.yaml:19:22: rules[1].approver.role: Input should be 'rep', 'manager', 'vp', 'deal_desk', 'finance', 'legal', 'product', 'cfo', 'sales_ops' or 'admin'",
        id="bad role",
    ),
    pytest.param(
        R("    approver: {role: vp}\n", "    approver: {role: vp}\n    quorum: {percent: 150}\n"),
        "p.yaml:20:23: rules[1].quorum.percent: Input should be less than or equal to 100",
        id="percent",
    ),
    pytest.param(
        R("    step: vp", "    step: vip"),
        "p.yaml:18:11: rule 'discount-20' requires step 'vip', which no chain lists; add it to the steps of a chain",
        id="no chain lists",
    ),
    pytest.param(
        R("when: discount > 0.10", "when: lines.exists(l, lines.all(m, m.discount > 0.1))"),
        "p.yaml:11:27: all() cannot be used inside another macro",
        id="nested",
    ),
    pytest.param(
        R("when: discount > 0.10", "when: lines.filter(l, l.recurring)"),
        "p.yaml:11:11: filter() can only be counted: size(lines.filter(l, <condition>))",
        id="filter",
    ),
    pytest.param(
        R("when: discount > 0.10", "when: size(discount) > 1"),
        "p.yaml:11:16: size() needs a string, a list, lines or clauses, not a number",
        id="size number",
    ),
    pytest.param(
        R("when: discount > 0.10", "when: discount > 0.12345678901"),
        "p.yaml:11:22: the number 0.12345678901 has more than 10 decimal places",
        id="places",
    ),
    pytest.param(
        R("approver: {role: vp}", "approver: {role: vp, user: vera@t.example}"),
        "p.yaml:19:15: rules[1].approver: an approver needs exactly one of user, role, group, field, matrix",
        id="two approvers",
    ),
    pytest.param(
        R("chains:", "groups:\n  product_council: [role:product]\nchains:").replace(
            "approver: {role: vp}", "approver: {group: product_council}"
        ),
        "p.yaml:7:3: group 'product_council' names no active user",
        id="group nobody",
    ),
    pytest.param(
        R("chains:", "groups:\n  council: [vera]\nchains:"),
        "p.yaml:7:13: 'vera' is not an e-mail, role:<role> or group:<group>",
        id="group bad member",
    ),
    pytest.param(
        R("when: discount > 0.10", "when: discount in ['a', 'b']"),
        "p.yaml:11:11: type mismatch: cannot look for a number ('discount') in a list of strings (['a', 'b'])",
        id="in mismatch",
    ),
    pytest.param(
        R("when: discount > 0.10", "when: discount && true"),
        "p.yaml:11:11: '&&' needs true or false on both sides, but 'discount' is a number",
        id="and number",
    ),
    pytest.param(
        R("when: discount > 0.10", "when: max(discount, 1) > 0"),
        "p.yaml:11:11: unknown function 'max'; functions: size(x), x.size(), s.startsWith(t), s.endsWith(t), s.contains(t)",
        id="unknown fn",
    ),
    pytest.param(
        R("  deep_lines: {count: lines, where: line.discount > 0.3}", "  deep_lines: clause_kinds"),
        "p.yaml:5:15: variable 'deep_lines' must be a number, string or true/false, not list of strings",
        id="var expr list",
    ),
    pytest.param(
        R(
            "  deep_lines: {count: lines, where: line.discount > 0.3}",
            "  deep_lines: {expr: discount, where: 'true'}",
        ),
        "p.yaml:5:15: variables.deep_lines: 'where' filters a roll-up, not an expr variable",
        id="var where on expr",
    ),
    pytest.param(
        R(
            "  deep_lines: {count: lines, where: line.discount > 0.3}",
            "  deep_lines: {sum: line.discount, max: line.discount}",
        ),
        "p.yaml:5:15: variables.deep_lines: a variable needs exactly one of expr, sum, max, min, avg, count",
        id="var two defs",
    ),
    pytest.param(
        R(
            "  deep_lines: {count: lines, where: line.discount > 0.3}",
            "  deep_lines: {sum: line.sku}",
        ),
        "p.yaml:5:21: this must be a number, but 'line.sku' is a string",
        id="rollup type",
    ),
    pytest.param(
        R("when: discount > 0.10", "when: discount != null"),
        "p.yaml:11:23: null is not supported: every variable always has a value",
        id="null",
    ),
    pytest.param(
        R("when: discount > 0.10", "when: discount = 0.1"),
        "p.yaml:11:20: '=' is not an operator; write '==' to compare",
        id="equals",
    ),
]


@pytest.mark.parametrize(("text", "message"), CASES)
def test_a_bad_policy_is_refused_at_its_line_and_column(
    text: str, message: str, people: Directory
) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_policy(text, source="p.yaml", directory=people)

    assert str(caught.value) == message


def test_the_shipped_policy_loads_against_the_sample_company() -> None:
    people = sample_directory()

    policy = load_policy_file(STANDARD, directory=people)

    assert (policy.version, policy.name) == (1, "Standard deal desk policy")
    assert [chain.id for chain in policy.chains] == [
        "desk",
        "commercial",
        "finance",
        "legal",
        "product",
    ]
    assert policy.steps["vp"].rules == ("discount-over-20", "deep-line-discount")
    assert [v.name for v in policy.variables] == [
        "below_floor_lines",
        "price_lock_years",
        "legal_clauses",
    ]


def test_a_refused_policy_leaves_the_one_in_force_untouched(people: Directory) -> None:
    in_force = load_policy(POLICY, source="p.yaml", directory=people)

    with pytest.raises(InvalidInput):
        load_policy(
            R("when: discount > 0.10", "when: discount >"), source="p.yaml", directory=people
        )

    assert in_force.rules[0].condition.text == "discount > 0.10"


def test_without_a_directory_approvers_are_not_checked_against_people() -> None:
    policy = load_policy(R("approver: {role: vp}", "approver: {role: product}"), source="p.yaml")

    assert policy.steps["vp"].approver.value == "product"


def test_an_unreadable_policy_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"missing.yaml: cannot read the policy: No such file"):
        load_policy_file(tmp_path / "missing.yaml")


MATRIX_POLICY = R("approver: {role: vp}", "approver: {matrix: vp}").replace(
    "chains:", "authority_matrix: {csv: authority.csv}\nchains:"
)


def load_with_matrix(tmp_path: Path, csv: str, people: Directory) -> object:
    (tmp_path / "authority.csv").write_text(csv, encoding="utf-8")
    (tmp_path / "p.yaml").write_text(MATRIX_POLICY, encoding="utf-8")
    return load_policy_file(tmp_path / "p.yaml", directory=people)


def test_the_authority_matrix_can_come_from_a_csv_file(tmp_path: Path, people: Directory) -> None:
    csv = "segment,region,vp\nenterprise,NA,vera@t.example\n*,*,role:cfo\n"

    policy = load_with_matrix(tmp_path, csv, people)

    matrix = policy.matrix  # type: ignore[attr-defined]
    assert matrix.levels == ("vp",)
    assert matrix.lookup("enterprise", "NA", "vp").cells["vp"] == "vera@t.example"
    assert matrix.lookup("smb", "EMEA", "vp").where == "authority.csv:3:1"


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        (
            "segment,vp\n*,role:vp\n",
            "authority.csv:1:1: the authority matrix has no 'region' column",
        ),
        (
            "segment,region,vp\ngiant,NA,role:vp\n",
            "authority.csv:2:1: unknown segment 'giant' in the authority matrix; allowed: smb, mid_market, enterprise, *",
        ),
        (
            "segment,region,vp\n*,*,role:vp\n*,*,role:cfo\n",
            "authority.csv:3:1: segment '*' and region '*' are given twice in the authority matrix (first at authority.csv:2:1)",
        ),
        ("segment,region,vp\n*,*\n", "authority.csv:2:1: the row has 2 cells, the header 3"),
        (
            "segment,region,vp\n*,*,role:product\n",
            "authority.csv:2:1: level 'vp': approver role 'product' is held by no active user",
        ),
        (
            "segment,region,vp\n*,*,nobody@t.example\n",
            "authority.csv:2:1: level 'vp': no active user has the e-mail 'nobody@t.example'",
        ),
        (
            "segment,region,director\n*,*,role:vp\n",
            "p.yaml:20:24: 'vp' is not a level of the authority matrix; levels: director",
        ),
    ],
)
def test_a_bad_authority_matrix_is_refused_at_its_row(
    tmp_path: Path, csv: str, message: str, people: Directory
) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_with_matrix(tmp_path, csv, people)

    assert str(caught.value).removeprefix(f"{tmp_path}/") == message


def test_a_missing_matrix_file_is_refused_at_the_csv_key(tmp_path: Path, people: Directory) -> None:
    (tmp_path / "p.yaml").write_text(MATRIX_POLICY, encoding="utf-8")

    with pytest.raises(
        InvalidInput, match=r"p.yaml:6:25: cannot read the authority matrix 'authority.csv'"
    ):
        load_policy_file(tmp_path / "p.yaml", directory=people)
