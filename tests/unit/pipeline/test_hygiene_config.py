"""Hygiene configuration: the shipped defaults, and every refusal with its line and reason."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from revdesk.core.errors import InvalidInput
from revdesk.pipeline.hygiene import (
    RULE_TYPES,
    FixOwner,
    HygieneConfig,
    Severity,
    checked_fields,
    default_config,
    load_config,
    load_config_file,
)
from revdesk.pipeline.hygiene_config import DuplicateRule, MissingFieldRule, StaleRule

ROOT = Path(__file__).resolve().parents[3]
HEAD = "version: 1\nrules:\n"
STALE = "  - id: stale-30\n    type: stale\n    severity: warning\n    owner: deal_owner\n"


def refusal(text: str) -> str:
    with pytest.raises(InvalidInput) as caught:
        load_config(text, source="cfg.yaml")
    return str(caught.value)


def test_a_valid_configuration_loads_with_defaults_filled_in() -> None:
    config = load_config(HEAD + STALE, source="cfg.yaml")

    (rule,) = config.rules
    assert isinstance(rule, StaleRule)
    assert (rule.id, rule.days, rule.severity, rule.owner) == (
        "stale-30",
        30,
        Severity.WARNING,
        FixOwner.DEAL_OWNER,
    )
    assert rule.enabled
    assert rule.description is None


def test_the_shipped_default_has_every_rule_type_once_enabled() -> None:
    config = default_config()

    types = [rule.type for rule in config.rules]
    assert set(types) == set(RULE_TYPES)
    assert all(rule.enabled for rule in config.rules)
    assert len({rule.id for rule in config.rules}) == len(config.rules)
    missing = {rule.field for rule in config.rules if isinstance(rule, MissingFieldRule)}
    assert missing == {"next_step", "amount", "close_date", "account"}
    duplicate = next(rule for rule in config.rules if isinstance(rule, DuplicateRule))
    assert (duplicate.within_days, duplicate.amount_tolerance) == (14, Decimal("0.1"))


def test_the_default_file_is_quoted_verbatim_in_the_documentation() -> None:
    shipped = (ROOT / "src/revdesk/pipeline/hygiene.yaml").read_text(encoding="utf-8")
    docs = (ROOT / "docs/hygiene.md").read_text(encoding="utf-8")

    assert f"```yaml\n{shipped}```" in docs


def test_checked_fields_of_the_default() -> None:
    assert checked_fields(default_config()) == (
        "close_date",
        "last_activity_at",
        "next_step",
        "amount",
        "account_id",
        "stage",
        "probability",
        "competitors",
        "lead_source",
        "forecast_category",
    )


def test_load_config_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(HEAD + STALE + "    days: -1\n", encoding="utf-8")

    with pytest.raises(InvalidInput) as caught:
        load_config_file(path)

    assert str(caught.value) == (
        f"{path}:7:11: rule 'stale-30': days: Input should be greater than or equal to 1"
    )


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read the hygiene configuration"):
        load_config_file(tmp_path / "nope.yaml")


def test_unknown_rule_type_names_the_allowed_types() -> None:
    text = HEAD + "  - id: odd\n    type: vibes\n    severity: info\n    owner: manager\n"

    assert refusal(text) == (
        "cfg.yaml:4:11: rule 'odd': unknown rule type 'vibes'; allowed: past_close_date, stale, "
        "missing_field, stage_skipped, stage_moved_back, close_date_pushed, amount_outlier, "
        "duplicate, probability_mismatch, exit_criteria, orphan_contact"
    )


def test_a_rule_without_a_type() -> None:
    text = HEAD + "  - id: odd\n    severity: info\n    owner: manager\n"

    assert refusal(text).startswith("cfg.yaml:3:5: rule 'odd': has no 'type'; allowed: ")


def test_unknown_key_in_a_rule_names_the_key_and_the_rule() -> None:
    text = HEAD + STALE + "    dayz: 30\n"

    assert refusal(text) == (
        "cfg.yaml:7:5: rule 'stale-30': unknown key 'dayz' for a stale rule; allowed: id, "
        "severity, owner, enabled, description, type, days"
    )


def test_unknown_top_level_key() -> None:
    assert refusal("version: 1\nrulez: []\nrules: []\n") == (
        "cfg.yaml:2:1: unknown key 'rulez'; allowed: version, rules"
    )


def test_wrong_value_type() -> None:
    assert refusal(HEAD + STALE + '    days: "thirty"\n') == (
        "cfg.yaml:7:11: rule 'stale-30': days: Input should be a valid integer, unable to parse "
        "string as an integer"
    )


def test_wrong_severity_and_owner() -> None:
    text = HEAD + "  - id: a\n    type: stale\n    severity: fatal\n    owner: deal_owner\n"

    assert refusal(text) == (
        "cfg.yaml:5:15: rule 'a': severity: Input should be 'error', 'warning' or 'info'"
    )


def test_duplicate_rule_id_points_at_the_second_one() -> None:
    text = HEAD + STALE + STALE.replace("type: stale", "type: past_close_date")

    assert refusal(text) == "cfg.yaml:7:9: rule id 'stale-30' is used twice (first on line 3)"


def test_missing_field_with_an_unknown_field_names_the_allowed_fields() -> None:
    text = HEAD + (
        "  - id: no-owner\n    type: missing_field\n    field: owner\n"
        "    severity: error\n    owner: sales_ops\n"
    )

    assert refusal(text) == (
        "cfg.yaml:5:12: rule 'no-owner': unknown field 'owner'; "
        "allowed: next_step, amount, close_date, account"
    )


def test_missing_required_key_points_at_the_rule() -> None:
    text = HEAD + "  - id: a\n    type: stale\n    severity: info\n"

    assert refusal(text) == "cfg.yaml:3:5: rule 'a': missing required key 'owner'"


def test_a_rule_that_is_not_a_mapping() -> None:
    assert refusal(HEAD + "  - stale\n") == "cfg.yaml:3:5: rule #1: expected a mapping, found str"


def test_a_bad_rule_id() -> None:
    text = HEAD + STALE.replace("stale-30", "Stale 30")

    assert refusal(text).startswith(
        "cfg.yaml:3:9: rule 'Stale 30': id: String should match pattern"
    )


def test_yaml_syntax_error_has_the_parser_position() -> None:
    text = HEAD + "  - id: a\n    type: [stale\n"

    message = refusal(text)

    assert message.startswith("cfg.yaml:5:1: YAML syntax error: ")
    assert "expected ',' or ']'" in message


def test_a_key_given_twice_is_refused() -> None:
    assert refusal(HEAD + STALE + "    days: 30\n    days: 40\n") == (
        "cfg.yaml:8:5: key 'days' is given twice"
    )


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n"])
def test_an_empty_file_is_refused(text: str) -> None:
    assert refusal(text) == (
        "cfg.yaml:1:1: the file is empty; expected a mapping with 'version' and 'rules'"
    )


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ("rules:\n", "cfg.yaml:2:7: rules must be a list of rules, found NoneType"),
        ("rules: {}\n", "cfg.yaml:2:8: rules must be a list of rules, found dict"),
    ],
)
def test_rules_must_be_a_list(rules: str, expected: str) -> None:
    assert refusal("version: 1\n" + rules) == expected


def test_a_file_that_is_not_a_mapping() -> None:
    assert refusal("- 1\n- 2\n") == "cfg.yaml:1:1: expected a mapping, found list"


@pytest.mark.parametrize("version", ["2", "'1'", "0"])
def test_only_version_1_is_read(version: str) -> None:
    message = refusal(f"version: {version}\nrules: []\n")

    assert message.startswith("cfg.yaml:1:10: unsupported version ")
    assert message.endswith("; this RevDesk reads version 1")


def test_missing_version() -> None:
    assert refusal("rules: []\n") == "cfg.yaml:1:1: missing required key 'version'"


def test_the_first_problem_in_the_file_is_reported() -> None:
    text = HEAD + STALE + '    days: "x"\n' + STALE.replace("stale-30", "b") + "    dayz: 1\n"

    assert refusal(text).startswith("cfg.yaml:7:11: rule 'stale-30': days:")


def test_models_refuse_duplicate_ids_when_built_directly() -> None:
    rule = {"id": "a", "type": "stale", "severity": "info", "owner": "manager"}

    with pytest.raises(ValidationError, match="rule id 'a' is used twice"):
        HygieneConfig(version=1, rules=[rule, rule])
