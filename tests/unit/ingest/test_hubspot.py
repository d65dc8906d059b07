"""HubSpot exports: deals with companies and contacts, stages mapped per pipeline."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from revdesk.ingest.hubspot import extract_hubspot

HUBSPOT = Path(__file__).parents[2] / "data" / "ingest" / "hubspot"


def test_deals_companies_and_contacts_with_hubspot_ids() -> None:
    extract = extract_hubspot(HUBSPOT)

    assert {k: v.height for k, v in extract.frames.items()} == {
        "accounts": 3,
        "contacts": 2,
        "opportunities": 5,
        "stages": 5,
    }
    deal = extract.frames["opportunities"].row(1, named=True)
    assert (deal["external_id"], deal["account"], deal["owner_name"]) == (
        "hubspot:102",
        "hubspot:5002",  # the first of several associated companies
        "John Roe",
    )
    assert deal["probability"] == 90  # 0.9 in HubSpot


def test_default_pipeline_keeps_labels_other_pipelines_are_prefixed() -> None:
    stages = extract_hubspot(HUBSPOT).frames["stages"]

    assert stages.select("name", "status").rows() == [
        ("Contract Sent", "open"),  # from the internal id "contractsent"
        ("Closed Won", "won"),
        ("Closed Lost", "lost"),
        ("Partners: Negotiation", "open"),
        ("Partners: Closed Won", "won"),
    ]


def test_a_stage_map_names_stages_per_pipeline() -> None:
    stage_map = {"Partners": {"Negotiation": "Partner Negotiation", "Closed Won": "Partner Won"}}
    extract = extract_hubspot(HUBSPOT / "deals.csv", stage_map=stage_map)

    assert extract.frames["opportunities"]["stage"].to_list()[3:] == [
        "Partner Negotiation",
        "Partner Won",
    ]
    assert "accounts" not in extract.frames  # a single deals file


def test_unmapped_columns_are_reported() -> None:
    problems = extract_hubspot(HUBSPOT).problems

    unused = problems.filter(pl.col("reason") == "columns not imported")
    assert unused["value"].to_list() == ["Region"]
