"""Record access rules, by hand-drawn org charts."""

from __future__ import annotations

from revdesk.crm.model import Role
from revdesk.web.access import (
    Viewer,
    can_edit_policy,
    can_list_users,
    can_submit,
    reporting_tree,
    visible_owners,
)

# 1 (vp) <- 2 (manager) <- 3, 4 (reps); 1 <- 5 (manager) <- 6 (rep); 7 stands alone.
MANAGERS = {1: None, 2: 1, 3: 2, 4: 2, 5: 1, 6: 5, 7: None}
TEAMS = {1: None, 2: 10, 3: 10, 4: 10, 5: 20, 6: 20, 7: 10}


def test_reporting_tree_is_the_user_and_everyone_below() -> None:
    assert reporting_tree(1, MANAGERS) == {1, 2, 3, 4, 5, 6}
    assert reporting_tree(2, MANAGERS) == {2, 3, 4}
    assert reporting_tree(3, MANAGERS) == {3}


def test_reporting_tree_survives_a_cycle() -> None:
    assert reporting_tree(1, {1: 2, 2: 1}) == {1, 2}


def test_a_rep_sees_their_own_deals_and_the_team_only_when_configured() -> None:
    rep = Viewer(3, Role.REP, team_id=10)
    assert visible_owners(rep, managers=MANAGERS, teams=TEAMS) == {3}
    assert visible_owners(rep, managers=MANAGERS, teams=TEAMS, rep_sees_team=True) == {2, 3, 4, 7}


def test_managers_and_vps_see_their_tree() -> None:
    manager = Viewer(2, Role.MANAGER)
    vp = Viewer(1, Role.VP)
    assert visible_owners(manager, managers=MANAGERS, teams=TEAMS) == {2, 3, 4}
    assert visible_owners(vp, managers=MANAGERS, teams=TEAMS) == {1, 2, 3, 4, 5, 6}


def test_desk_finance_legal_product_cfo_ops_and_admin_see_every_deal() -> None:
    for role in (Role.DEAL_DESK, Role.FINANCE, Role.LEGAL, Role.PRODUCT, Role.CFO,
                 Role.SALES_OPS, Role.ADMIN):  # fmt: skip
        assert visible_owners(Viewer(7, role), managers=MANAGERS, teams=TEAMS) is None


def test_who_submits_lists_users_and_edits_policy() -> None:
    assert can_submit(Viewer(3, Role.REP), 3)
    assert not can_submit(Viewer(3, Role.REP), 4)
    assert not can_submit(Viewer(2, Role.MANAGER), 3)
    assert can_submit(Viewer(9, Role.DEAL_DESK), 3)
    assert [r for r in Role if can_list_users(Viewer(1, r))] == [Role.SALES_OPS, Role.ADMIN]
    assert [r for r in Role if can_edit_policy(Viewer(1, r))] == [
        Role.DEAL_DESK, Role.SALES_OPS, Role.ADMIN,
    ]  # fmt: skip
