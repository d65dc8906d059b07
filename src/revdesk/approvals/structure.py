"""Check how a policy's chains, steps and approvers fit together, before any quote is seen.

Refused, each at the position of the offending name: a step listed twice; a chain ordered
after a chain that does not exist; chains ordered in a cycle; a step no rule can require (no
rule names it, or only rules whose condition is always false); rules that require the same
step with different approvers, quorums or SLAs; a group, matrix level or approver user that
does not exist; an approver role that no active user holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from revdesk.approvals.compile import Compiler
from revdesk.approvals.directory import Directory
from revdesk.approvals.document import PolicyDoc
from revdesk.approvals.matrix import AuthorityMatrix, matrix_from_csv, matrix_from_rows
from revdesk.approvals.plan import ApproverKind, ApproverSpec
from revdesk.approvals.policy import Chain, Rule, Step
from revdesk.core.errors import InvalidInput
from revdesk.crm.model import Role

__all__ = ["chain_of_steps", "check_approvers", "load_matrix", "ordered_chains", "steps_of"]


def chain_of_steps(doc: PolicyDoc, compiler: Compiler) -> dict[str, str]:
    """Step -> the chain that lists it; a step listed twice is refused."""
    owner: dict[str, str] = {}
    for chain, spec in doc.chains.items():
        for index, step in enumerate(spec.steps):
            if step in owner:
                raise InvalidInput(
                    f"step '{step}' is listed twice (in chain '{owner[step]}' and chain '{chain}')",
                    where=compiler.at(("chains", chain, "steps", index)),
                )
            owner[step] = chain
    return owner


def ordered_chains(doc: PolicyDoc, compiler: Compiler) -> tuple[Chain, ...]:
    """Chains in an order where each comes after the chains it waits for; cycles refused."""
    for chain, spec in doc.chains.items():
        for index, other in enumerate(spec.after):
            if other not in doc.chains:
                raise InvalidInput(
                    f"chain '{chain}' is ordered after '{other}', which is not a chain",
                    where=compiler.at(("chains", chain, "after", index)),
                )
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(chain: str, path: list[str]) -> None:
        if state.get(chain) == "done":
            return
        if state.get(chain) == "open":
            cycle = [*path[path.index(chain) :], chain]
            raise InvalidInput(
                f"chains are ordered in a cycle: {' -> '.join(cycle)}",
                where=compiler.at(("chains", cycle[0], "after")),
            )
        state[chain] = "open"
        for other in doc.chains[chain].after:
            visit(other, [*path, chain])
        state[chain] = "done"
        order.append(chain)

    for chain in doc.chains:
        visit(chain, [])
    return tuple(
        Chain(name, tuple(doc.chains[name].steps), tuple(doc.chains[name].after)) for name in order
    )


def steps_of(rules: Sequence[Rule], chains: Sequence[Chain], compiler: Compiler) -> dict[str, Step]:
    """Every step with the approver its rules agree on; unreachable steps are refused."""
    by_step: dict[str, list[tuple[int, Rule]]] = {}
    for index, rule in enumerate(rules):
        by_step.setdefault(rule.step, []).append((index, rule))
    steps: dict[str, Step] = {}
    for chain in chains:
        for position, step in enumerate(chain.steps, start=1):
            requiring = by_step.get(step, [])
            live = [(i, r) for i, r in requiring if r.condition.constant is not False]
            if not live:
                why = "its rules can never fire" if requiring else "no rule requires it"
                raise InvalidInput(
                    f"step '{step}' of chain '{chain.id}' is unreachable: {why}",
                    where=compiler.at(("chains", chain.id, "steps", position - 1)),
                )
            first_index, first = requiring[0]
            for index, rule in requiring[1:]:
                _agree(first, first_index, rule, index, compiler)
            steps[step] = Step(
                step,
                chain.id,
                position,
                first.approver,
                first.quorum,
                first.sla_hours,
                tuple(rule.id for _, rule in requiring),
            )
    return steps


def _agree(first: Rule, first_index: int, rule: Rule, index: int, compiler: Compiler) -> None:
    for name in ("approver", "quorum", "sla_hours"):
        if getattr(first, name) != getattr(rule, name):
            line = compiler.at(("rules", first_index, "id")).rsplit(":", 2)[1]
            raise InvalidInput(
                f"rule '{rule.id}' requires step '{rule.step}' with a different {name} than "
                f"rule '{first.id}' (line {line}); rules of one step must agree",
                where=compiler.at(("rules", index, name)),
            )


def load_matrix(doc: PolicyDoc, compiler: Compiler, read_file: object) -> AuthorityMatrix | None:
    """The authority matrix, inline or from its CSV file (`read_file(path) -> text`)."""
    spec = doc.authority_matrix
    if spec is None:
        return None
    if spec.rows is not None:
        wheres = [compiler.at(("authority_matrix", "rows", i)) for i in range(len(spec.rows))]
        return matrix_from_rows(spec.rows, wheres)
    assert spec.csv is not None
    if read_file is None:
        raise InvalidInput(
            "the authority matrix is a CSV file, but this policy was not loaded from a file",
            where=compiler.at(("authority_matrix", "csv")),
        )
    try:
        text = read_file(spec.csv)  # type: ignore[operator]
    except OSError as exc:
        raise InvalidInput(
            f"cannot read the authority matrix {spec.csv!r}: {exc.strerror or exc}",
            where=compiler.at(("authority_matrix", "csv")),
        ) from None
    return matrix_from_csv(str(text), spec.csv)


def _role_problem(name: str, directory: Directory | None) -> str | None:
    if name not in {role.value for role in Role}:
        return f"unknown role '{name}'; roles: {', '.join(r.value for r in Role)}"
    if directory is not None and not directory.with_role(Role(name)):
        return f"approver role '{name}' is held by no active user"
    return None


def _member_problem(
    member: str, directory: Directory | None, groups: Mapping[str, object]
) -> str | None:
    """Why a group member or matrix cell does not name anyone, or None."""
    if member.startswith("role:"):
        return _role_problem(member.removeprefix("role:"), directory)
    if member.startswith("group:"):
        name = member.removeprefix("group:")
        return None if name in groups else f"group '{name}' is not defined under groups"
    if "@" not in member:
        return f"'{member}' is not an e-mail, role:<role> or group:<group>"
    user = directory.by_email(member) if directory is not None else None
    if directory is not None and (user is None or not user.active):
        return f"no active user has the e-mail '{member}'"
    return None


def _check_group(
    group: str, members: Sequence[str], directory: Directory | None, compiler: Compiler
) -> None:
    """Members are e-mails of users or roles; together they must name an active user."""
    for index, member in enumerate(members):
        if member.startswith("group:"):
            problem: str | None = "a group cannot contain another group"
        elif member.startswith("role:"):
            problem = _role_problem(member.removeprefix("role:"), None)
        else:
            problem = _member_problem(member, directory, {})
        if problem:
            raise InvalidInput(problem, where=compiler.at(("groups", group, index)))
    if directory is None:
        return
    holders = [
        user
        for member in members
        for user in (
            directory.with_role(Role(member.removeprefix("role:")))
            if member.startswith("role:")
            else [directory.by_email(member)]
        )
        if user is not None and user.active
    ]
    if not holders:
        raise InvalidInput(
            f"group '{group}' names no active user", where=compiler.at(("groups", group), key=True)
        )


def check_approvers(
    doc: PolicyDoc,
    rules: Sequence[Rule],
    matrix: AuthorityMatrix | None,
    directory: Directory | None,
    compiler: Compiler,
) -> None:
    """Every approver names someone (roles and users checked against `directory` if given)."""
    for group, members in doc.groups.items():
        _check_group(group, members, directory, compiler)
    if matrix is not None:
        for row in matrix.rows:
            for level, cell in row.cells.items():
                problem = _member_problem(cell, directory, doc.groups) if cell else None
                if problem:
                    raise InvalidInput(f"level '{level}': {problem}", where=row.where)
    for index, rule in enumerate(rules):
        problem = _approver_problem(rule.approver, doc, matrix, directory)
        if problem:
            raise InvalidInput(
                problem, where=compiler.at(("rules", index, "approver", rule.approver.kind.value))
            )


def _approver_problem(
    spec: ApproverSpec, doc: PolicyDoc, matrix: AuthorityMatrix | None, directory: Directory | None
) -> str | None:
    if spec.kind is ApproverKind.USER:
        return _member_problem(spec.value, directory, doc.groups)
    if spec.kind is ApproverKind.ROLE:
        return _member_problem(f"role:{spec.value}", directory, doc.groups)
    if spec.kind is ApproverKind.GROUP and spec.value not in doc.groups:
        return f"group '{spec.value}' is not defined under groups"
    if spec.kind is ApproverKind.MATRIX:
        if matrix is None:
            return f"matrix level '{spec.value}' needs an authority_matrix"
        if spec.value not in matrix.levels:
            levels = ", ".join(matrix.levels)
            return f"'{spec.value}' is not a level of the authority matrix; levels: {levels}"
    return None
