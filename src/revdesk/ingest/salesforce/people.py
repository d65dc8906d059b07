"""Salesforce User and UserRole: people, their RevDesk role, teams and the reporting chain.

The role hierarchy becomes the team hierarchy (a team per role, nested as the roles are). A user's
manager is `ManagerId`; when that is empty, it is the first user (lowest id) holding the nearest
ancestor role that anybody holds. The RevDesk role is read from the role name, else the profile,
else the title ('VP, North American Sales' -> vp, 'Director' -> manager, else rep).
"""

from __future__ import annotations

import polars as pl

from revdesk.ingest.convert import Converter
from revdesk.ingest.model import Severity
from revdesk.ingest.salesforce.records import sf_id
from revdesk.ingest.values import role_from_title, salesforce_id


def roles_frame(conv: Converter) -> tuple[pl.DataFrame, pl.DataFrame]:
    """UserRole rows as (role, parent_role, team) with team names made unique, and problems."""
    sf_id(conv, "role", "Id", required=True)
    conv.text("name", "Name", required=True)
    sf_id(conv, "parent_role", "ParentRoleId")
    frame, problems = conv.finish()
    name = pl.col("name")
    return frame.select(
        "role",
        "parent_role",
        pl.when(name.is_duplicated())
        .then(pl.format("{} ({})", name, "role"))
        .otherwise(name)
        .alias("team"),
        "_file",
        "_row",
    ), problems


NO_ROLES = pl.DataFrame(
    schema={
        "role": pl.String,
        "parent_role": pl.String,
        "team": pl.String,
        "_file": pl.String,
        "_row": pl.Int64,
    }
)


def teams(roles: pl.DataFrame) -> pl.DataFrame:
    """One team per role, nested like the role hierarchy."""
    parents = roles.select(pl.col("role").alias("parent_role"), pl.col("team").alias("parent"))
    return roles.join(parents, on="parent_role", how="left").select(
        pl.col("team").alias("name"), "parent", "_file", "_row"
    )


def _role_managers(roles: pl.DataFrame, holders: pl.DataFrame) -> dict[str, str]:
    """For each role, the user who manages its holders: first holder of the nearest ancestor."""
    parent = dict(zip(roles["role"].to_list(), roles["parent_role"].to_list(), strict=True))
    first = dict(zip(holders["role"].to_list(), holders["user"].to_list(), strict=True))
    managers: dict[str, str] = {}
    for role in parent:  # roles number in the hundreds at most: a walk per role is cheap
        seen, current = {role}, parent.get(role)
        while current is not None and current not in seen:
            if current in first:
                managers[role] = first[current]
                break
            seen.add(current)
            current = parent.get(current)
    return managers


def users(conv: Converter, roles: pl.DataFrame) -> None:
    """User: name, e-mail (username when shared), RevDesk role, team, manager."""
    sf_id(conv, "external_id", "Id", required=True)
    ids = conv.columns["external_id"]
    full = conv.raw("FirstName") + " " + conv.raw("LastName")
    name = conv.raw("Name").fill_null(full).fill_null(conv.raw("LastName")).fill_null(ids)
    conv.put("name", name)
    email = conv.raw("Email").str.to_lowercase()
    shared = email.is_duplicated() & email.is_not_null()
    username = conv.raw("Username").str.to_lowercase()
    conv.check(
        shared & username.is_not_null(),
        "Email",
        "e-mail shared by several users: the username is used",
        severity=Severity.WARNING,
    )
    conv.put("email", email.zip_with(~shared | username.is_null(), username).fill_null(username))
    conv.text("title", "Title")
    conv.boolean("active", "IsActive")
    conv.datetime("created_at", "CreatedDate")
    role_ids = salesforce_id(conv.raw("UserRoleId"))
    team_of = dict(zip(roles["role"].to_list(), roles["team"].to_list(), strict=True))
    team = role_ids.replace_strict(team_of, default=None, return_dtype=pl.String)
    team = team.fill_null(conv.raw("UserRole.Name"))
    conv.put("team", team)
    described = team.fill_null(conv.raw("Profile.Name")).fill_null(conv.raw("Title"))
    conv.put("role", role_from_title(described))
    _managers(conv, roles, role_ids)


def _managers(conv: Converter, roles: pl.DataFrame, role_ids: pl.Series) -> None:
    ids = conv.columns["external_id"]
    direct = salesforce_id(conv.raw("ManagerId"))
    holders = (
        pl.DataFrame({"role": role_ids, "user": ids})
        .drop_nulls()
        .sort("user")
        .unique("role", keep="first")
    )
    by_role = _role_managers(roles, holders)
    via_role = role_ids.replace_strict(by_role, default=None, return_dtype=pl.String)
    manager = direct.fill_null(via_role)
    conv.put("manager", manager.set((manager == ids).fill_null(False), None))
    conv.text("manager_name", "Manager.Name")
