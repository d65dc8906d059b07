"""Test data shared by the approvals tests: a small policy in YAML."""

POLICY = """\
version: 1
name: Test policy
effective_from: 2026-01-01
variables:
  deep_lines: {count: lines, where: line.discount > 0.3}
chains:
  commercial: {steps: [manager, vp]}
  finance: {steps: [finance]}
rules:
  - id: discount-10
    when: discount > 0.10
    step: manager
    approver: {field: owner.manager}
    sla_hours: 8
    reason: Discount above 10 %.
  - id: discount-20
    when: discount > 0.20
    step: vp
    approver: {role: vp}
    reason: Discount above 20 %.
  - id: terms
    when: payment_terms_days > 60
    step: finance
    approver: {role: finance}
    reason: Long payment terms.
"""
