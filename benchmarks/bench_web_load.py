"""Load: 50 concurrent users against `revdesk serve --workers 2` on PostgreSQL (127.0.0.1).

Builds the demo company (`--scale` deals) in a fresh PostgreSQL database, makes `--requests`
quotes drafts again and submits them for approval (in process, through the workflow service),
gives every user an API token, then starts the server and runs `--users` virtual users for
`--seconds` with httpx (async): readers list deals, read quotes and inboxes; approvers read their
inbox and approve the first item. Several virtual users share each approver identity, so two
of them often decide the same step at the same moment: one wins, the other gets a 409 or 403.

Afterwards the audit log must hold exactly one `approved` entry per successful decision (same
request, same actor), and its hash chain must verify.

    .venv/bin/python benchmarks/bench_web_load.py                  # 50 users, 60 s
    .venv/bin/python benchmarks/bench_web_load.py --seconds 20 --scale 1000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from revdesk.approvals import service as approvals
from revdesk.approvals.states import RequestStatus
from revdesk.auth.model import Scope
from revdesk.auth.service import create_token
from revdesk.core.clock import utcnow
from revdesk.crm.browse import list_users
from revdesk.crm.model import Role
from revdesk.db.migrate import upgrade
from revdesk.db.uow import Database

ADMIN_URL = os.environ.get(
    "REVDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Tally:
    """What the virtual users saw."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {"read": [], "decide": []})
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    decisions: Counter[tuple[int, int]] = field(default_factory=Counter)
    samples: dict[int, str] = field(default_factory=dict)


def _database() -> tuple[str, str]:
    name = f"revdesk_bench_web_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop(name: str) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _prepare(url: str, scale: int, requests: int) -> tuple[dict[int, str], list[int]]:
    """The company, `requests` pending approval requests, and a token per user."""
    db = Database.connect(url)
    upgrade(db.engine)
    db.dispose()
    demo = [sys.executable, "-m", "revdesk", "demo", "--scale", str(scale), "--database", url]
    subprocess.run([*demo, "--no-figures"], check=True, stdout=subprocess.DEVNULL)
    db = Database.connect(url)
    with db.engine.begin() as conn:
        # The benchmark needs drafts to submit: quotes of open deals become drafts again.
        conn.execute(text(
            "UPDATE quotes SET status = 'draft' WHERE id IN (SELECT q.id FROM quotes q "
            "JOIN opportunities o ON o.id = q.opportunity_id JOIN stages s ON s.name = o.stage "
            "WHERE s.status = 'open' AND q.is_primary ORDER BY q.id LIMIT :n)"
        ), {"n": requests * 10})  # fmt: skip
        drafts = [row[0] for row in conn.execute(text(
            "SELECT q.id, o.owner_id FROM quotes q JOIN opportunities o ON o.id = q.opportunity_id "
            "WHERE q.status = 'draft' ORDER BY q.id"
        ))]  # fmt: skip
        owners = dict(conn.execute(text(
            "SELECT q.id, o.owner_id FROM quotes q JOIN opportunities o ON o.id = q.opportunity_id"
        )).all())  # fmt: skip
    submitted = 0
    with db.uow() as uow:
        policy = approvals.active_policy(uow.session).policy
        now = utcnow()
        for quote_id in drafts:
            if submitted >= requests:
                break
            try:
                request = approvals.submit(
                    uow.session, quote_id=quote_id, actor_id=owners[quote_id], policy=policy,
                    base_currency="USD", at=now,
                )  # fmt: skip
            except Exception:  # unresolved approvers, no owner: skip that quote
                uow.rollback()
                continue
            if request.status == "pending":
                submitted += 1
            uow.commit()
        users, _ = list_users(uow.session, limit=100_000, offset=0)
        tokens = {}
        for user in users:
            _, secret = create_token(
                uow.session, user_id=user.id, name="bench", scopes=(Scope.READ, Scope.APPROVE),
                at=now, expires_at=now + timedelta(days=1),
            )  # fmt: skip
            tokens[user.id] = secret
        uow.commit()
        approvers = sorted({
            a.user_id
            for row in approvals.list_requests(
                uow.session, status=RequestStatus.PENDING, limit=100_000
            )
            for s in approvals.request_view(uow.session, request_id=row.request_id).steps
            for a in s.assignments if a.decision is None and a.active
        })  # fmt: skip
        readers = [
            u.id
            for u in users
            if u.active and u.role in (Role.REP, Role.MANAGER, Role.VP, Role.SALES_OPS)
        ]
    db.dispose()
    print(
        f"prepared: {submitted} pending requests, {len(approvers)} approvers, {len(tokens)} tokens"
    )
    return {uid: tokens[uid] for uid in tokens}, [*approvers, -1, *readers]


async def _call(  # noqa: PLR0917 - a private helper called positionally in one module
    client: httpx.AsyncClient,
    tally: Tally,
    kind: str,
    method: str,
    url: str,
    token: str,
    **kw: object,
) -> httpx.Response | None:
    start = time.perf_counter()
    try:
        response = await client.request(
            method, url, headers={"Authorization": f"Bearer {token}"}, **kw
        )  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        tally.errors.append(f"{method} {url}: {exc!r}")
        return None
    tally.latencies[kind].append(time.perf_counter() - start)
    tally.statuses[(kind, response.status_code)] += 1
    if response.status_code >= 400:
        tally.samples.setdefault(response.status_code, f"{method} {url}: {response.text[:300]}")
    if response.status_code >= 500:
        tally.errors.append(f"{method} {url}: {response.status_code} {response.text[:200]}")
    return response


async def _reader(
    client: httpx.AsyncClient, tally: Tally, token: str, until: float, rng: random.Random
) -> None:
    while time.monotonic() < until:
        choice = rng.random()
        if choice < 0.4:
            await _call(
                client,
                tally,
                "read",
                "GET",
                f"/api/v1/opportunities?limit=25&offset={rng.randrange(0, 200)}",
                token,
            )
        elif choice < 0.7:
            listed = await _call(
                client, tally, "read", "GET", "/api/v1/opportunities?limit=5", token
            )
            if listed is not None and listed.status_code == 200 and listed.json()["items"]:
                deal = rng.choice(listed.json()["items"])["id"]
                await _call(client, tally, "read", "GET", f"/api/v1/opportunities/{deal}", token)
        elif choice < 0.9:
            await _call(client, tally, "read", "GET", "/api/v1/approvals/inbox", token)
        else:
            await _call(client, tally, "read", "GET", "/api/v1/users/me", token)


async def _approver(  # noqa: PLR0917 - one call site
    client: httpx.AsyncClient,
    tally: Tally,
    user_id: int,
    token: str,
    until: float,
    rng: random.Random,
) -> None:
    while time.monotonic() < until:
        inbox = await _call(client, tally, "read", "GET", "/api/v1/approvals/inbox", token)
        if inbox is None or inbox.status_code != 200 or not inbox.json():
            await asyncio.sleep(0.5)
            continue
        item = rng.choice(inbox.json()[:3])
        decided = await _call(
            client,
            tally,
            "decide",
            "POST",
            f"/api/v1/approvals/{item['request_id']}/approve",
            token,
            json={"comment": "load"},
        )
        if decided is not None and decided.status_code == 200:
            tally.decisions[(item["request_id"], user_id)] += 1


async def _run(
    base: str, tokens: dict[int, str], people: list[int], users: int, seconds: float
) -> Tally:
    split = people.index(-1)
    approvers, readers = people[:split], people[split + 1 :]
    rng = random.Random(20261123)
    tally = Tally()
    until = time.monotonic() + seconds
    # Idle connections are dropped well before uvicorn's 5 s keep-alive timeout closes them.
    limits = httpx.Limits(
        max_connections=users, max_keepalive_connections=users, keepalive_expiry=1.0
    )
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        tasks = []
        deciders = min(users // 3, 3 * max(1, len(approvers)))
        for n in range(users):
            if n < deciders and approvers:
                who = approvers[n % len(approvers)]  # several virtual users per approver: races
                tasks.append(_approver(client, tally, who, tokens[who], until, random.Random(n)))
            else:
                who = rng.choice(readers)
                tasks.append(_reader(client, tally, tokens[who], until, random.Random(n)))
        await asyncio.gather(*tasks)
    return tally


def _last_audit_id(url: str) -> int:
    """The newest audit entry before the load (the demo company has an approval history)."""
    db = Database.connect(url)
    with db.engine.connect() as conn:
        last = conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one()
    db.dispose()
    return int(last)


def _check_audit(url: str, tally: Tally, since_id: int) -> tuple[bool, str]:
    db = Database.connect(url)
    recorded: Counter[tuple[int, int]] = Counter()
    with db.uow() as uow:
        for request_id in {r for r, _ in tally.decisions}:
            view = approvals.request_view(uow.session, request_id=request_id)
            for entry in view.audit:
                if str(entry["action"]) == "approved" and entry["id"] > since_id:
                    recorded[(request_id, entry["actor_id"])] += 1
        chain = approvals.verify_audit(uow.session)
        total = uow.session.scalar(
            text("SELECT count(*) FROM audit_log WHERE action = 'approved' AND id > :since"),
            {"since": since_id},
        )
    db.dispose()
    same = recorded == tally.decisions and total == sum(tally.decisions.values())
    return same and chain.ok, (
        f"{sum(tally.decisions.values())} successful decisions, {sum(recorded.values())} matching "
        f"audit entries, {total} 'approved' entries written during the load; hash chain "
        f"{'verifies' if chain.ok else 'BROKEN'} ({chain.checked} entries)"
    )


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def main() -> None:
    """Prepare, serve, load, check, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    name, url = _database()
    server = None
    try:
        tokens, people = _prepare(url, args.scale, args.requests)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {**os.environ, "REVDESK_DATABASE_URL": url}
        server = subprocess.Popen(
            [sys.executable, "-m", "revdesk", "serve", "--port", str(port),
             "--workers", str(args.workers)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        since_id = _last_audit_id(url)
        started = time.perf_counter()
        tally = asyncio.run(_run(base, tokens, people, args.users, args.seconds))
        elapsed = time.perf_counter() - started
        ok, audit = _check_audit(url, tally, since_id)
        every = tally.latencies["read"] + tally.latencies["decide"]
        print(f"load average at the end: {os.getloadavg()}")
        print(
            f"{len(every)} requests in {elapsed:.1f} s ({len(every) / elapsed:.0f}/s), "
            f"{args.users} users, {args.workers} workers"
        )
        for kind in ("read", "decide"):
            values = tally.latencies[kind]
            if values:
                print(
                    f"  {kind:6} n={len(values):6}  p50={_pct(values, 0.5):7.1f} ms  "
                    f"p99={_pct(values, 0.99):7.1f} ms  "
                    f"mean={statistics.fmean(values) * 1000:7.1f} ms"
                )
        print(f"  all    p50={_pct(every, 0.5):.1f} ms  p99={_pct(every, 0.99):.1f} ms")
        print(f"  statuses: {dict(sorted(tally.statuses.items()))}")
        for code, sample in sorted(tally.samples.items()):
            print(f"  a {code}: {sample}")
        print(f"  errors (5xx or transport): {len(tally.errors)}")
        for error in tally.errors[:5]:
            print(f"    {error}")
        print(f"  audit: {audit}: {'OK' if ok else 'MISMATCH'}")
        if tally.errors or not ok:
            sys.exit(1)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        _drop(name)


if __name__ == "__main__":
    main()
