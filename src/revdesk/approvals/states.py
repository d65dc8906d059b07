"""The statuses of the approval workflow (pure; the tables and the state machine share them)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AssignmentSource", "AuditAction", "Decision", "RequestStatus", "StepStatus"]


class RequestStatus(StrEnum):
    """Where an approval request is; only `pending` is open."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    RECALLED = "recalled"  # taken back by the submitter
    RETURNED = "returned"  # sent back for revision by an approver
    WITHDRAWN = "withdrawn"  # the quote changed materially while pending

    @property
    def closed(self) -> bool:
        """Whether no further decision can be made on the request."""
        return self is not RequestStatus.PENDING


class StepStatus(StrEnum):
    """Where one step of a request is."""

    WAITING = "waiting"  # its turn has not come (earlier step or chain still open)
    PENDING = "pending"  # open: its approvers may decide
    APPROVED = "approved"
    REJECTED = "rejected"
    SKIPPED = "skipped"  # the request closed before the step opened
    CARRIED_OVER = "carried_over"  # approved on the previous request and still within tolerance
    BYPASSED = "bypassed"  # an admin approved the request without it

    @property
    def done(self) -> bool:
        """Whether the step no longer holds up its chain (approved in one way or another)."""
        return self in _DONE


_DONE = frozenset({StepStatus.APPROVED, StepStatus.CARRIED_OVER, StepStatus.BYPASSED})


class AssignmentSource(StrEnum):
    """Why a user is asked to decide a step."""

    PLAN = "plan"  # named by the policy at submit
    DELEGATE = "delegate"  # deciding for someone on leave (on_behalf_of_id)
    REASSIGN = "reassign"  # took over someone's assignment
    ADHOC = "adhoc"  # added by hand
    ESCALATION = "escalation"  # the manager of an approver who let the SLA run out


class Decision(StrEnum):
    """What an assignee decided."""

    APPROVED = "approved"
    REJECTED = "rejected"


class AuditAction(StrEnum):
    """What an audit entry records."""

    POLICY_ACTIVATED = "policy_activated"
    SUBMITTED = "submitted"
    RESUBMITTED = "resubmitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    RECALLED = "recalled"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    DELEGATED = "delegated"
    REASSIGNED = "reassigned"
    APPROVER_ADDED = "approver_added"
    ESCALATED = "escalated"
    BYPASSED = "bypassed"
    REMINDED = "reminded"
