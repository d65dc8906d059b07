"""The audit chain in the database, tampered with, and activating policies."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from revdesk.approvals import service as svc
from revdesk.approvals.audit_chain import AuditBreak
from revdesk.core.errors import InvalidInput
from revdesk.db.uow import Database

from .test_workflow import submit_halcyon
from .workflow_support import GRACE_DESK, MONDAY, OMAR_LEGAL, STANDARD, load_sample


@pytest.fixture
def db(database: Database) -> Database:
    load_sample(database)
    request_id = submit_halcyon(database)
    for approver in (GRACE_DESK, OMAR_LEGAL):
        with database.uow() as uow:
            svc.approve(uow.session, request_id=request_id, actor_id=approver, at=MONDAY)
            uow.commit()
    return database


def tamper(db: Database, sql: str) -> None:
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":  # the trigger refuses it; an attacker with DDL rights
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        conn.execute(text(sql))
        if db.dialect == "postgresql":
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


def report(db: Database) -> tuple[int, AuditBreak | None]:
    with db.uow() as uow:
        result = svc.verify_audit(uow.session)
    return result.checked, result.broken


def test_an_untouched_chain_verifies(db: Database) -> None:
    assert report(db) == (3, None)


def test_an_edited_comment_is_found(db: Database) -> None:
    tamper(db, "UPDATE audit_log SET comment = 'fine by me' WHERE id = 2")
    assert report(db) == (1, AuditBreak(2, "the entry's content does not match its hash"))


def test_a_deleted_entry_is_found(db: Database) -> None:
    tamper(db, "DELETE FROM audit_log WHERE id = 2")
    assert report(db) == (1, AuditBreak(3, "expected entry 2 next, found 3"))


def test_a_deleted_last_entry_is_found_through_the_head(db: Database) -> None:
    tamper(db, "DELETE FROM audit_log WHERE id = 3")
    assert report(db) == (2, AuditBreak(3, "the head names entry 3, but the chain ends at entry 2"))


def test_an_edited_head_is_found(db: Database) -> None:
    tamper(db, "UPDATE audit_head SET last_hash = 'f' WHERE id = 1")
    assert report(db) == (3, AuditBreak(3, "the head's hash does not match the last entry"))


def test_postgres_refuses_updates_of_the_log(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    with pytest.raises(Exception, match="audit_log is append-only"), db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET comment = 'x' WHERE id = 1"))


def test_a_bad_policy_is_refused_and_the_one_in_force_stays(db: Database, tmp_path: Path) -> None:
    with db.uow() as uow:
        assert not svc.active_policy(uow.session).stored  # the shipped standard until activated
        svc.activate_policy(uow.session, path=STANDARD, actor_id=GRACE_DESK, at=MONDAY)
        uow.commit()
    broken = tmp_path / "broken.yaml"
    broken.write_text(STANDARD.read_text().replace("when: discount > 0.10", "when: discont > 0.10"))
    with db.uow() as uow, pytest.raises(InvalidInput) as caught:
        svc.activate_policy(uow.session, path=broken, actor_id=GRACE_DESK, at=MONDAY)
    assert str(caught.value).startswith(f"{broken}:")
    assert "discont" in caught.value.message
    with db.uow() as uow:
        active = svc.active_policy(uow.session)
        assert active.stored
        assert active.policy.name == "Standard deal desk policy"
        assert svc.verify_audit(uow.session).checked == 4  # three decisions and one activation
