"""SQLite storage of the fine-tuning service: files, jobs, job events and checkpoints.

One short connection per call (WAL mode), so several threads and processes can share the database.
Jobs are stored as their public OpenAI-shaped object (`job`) plus private bookkeeping (`state`: the
training process id, log offset, metrics read so far, …), both JSON.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import string
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_ALPHABET = string.ascii_letters + string.digits
_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, created_at INTEGER NOT NULL,
    purpose TEXT NOT NULL, file TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, status TEXT NOT NULL,
    job TEXT NOT NULL, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, job_id TEXT NOT NULL, event TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_job ON events (job_id, seq);
CREATE TABLE IF NOT EXISTS checkpoints (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, job_id TEXT NOT NULL, model TEXT UNIQUE NOT NULL,
    path TEXT NOT NULL, checkpoint TEXT NOT NULL);
"""


def new_id(prefix: str, length: int = 24) -> str:
    """An OpenAI-style identifier: `prefix` then random letters and digits."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def page(rows: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    """An OpenAI list object from up to `limit + 1` rows (the extra row only says there is more)."""
    data = rows[:limit]
    return {"object": "list", "data": data, "has_more": len(rows) > limit,
            "first_id": data[0]["id"] if data else None, "last_id": data[-1]["id"] if data else None}


class JobStore:
    """The service database at `path` (created on first use)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
        finally:
            db.close()

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            try:
                db.execute("BEGIN IMMEDIATE")
                yield db
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            finally:
                db.close()

    # ------------------------------------------------------------------ files

    def add_file(self, file: dict[str, Any]) -> None:
        with self._db() as db:
            db.execute("INSERT INTO files (id, created_at, purpose, file) VALUES (?, ?, ?, ?)",
                       (file["id"], file["created_at"], file["purpose"], json.dumps(file)))

    def get_file(self, file_id: str) -> dict[str, Any] | None:
        with self._db() as db:
            row = db.execute("SELECT file FROM files WHERE id = ?", (file_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def list_files(self, purpose: str | None, after: str | None, limit: int, order: str) -> dict[str, Any]:
        desc = order != "asc"
        query, args = "SELECT file FROM files WHERE 1 = 1", []
        if purpose:
            query, args = query + " AND purpose = ?", [purpose]
        if after:
            query += f" AND seq {'<' if desc else '>'} (SELECT seq FROM files WHERE id = ?)"
            args.append(after)
        query += f" ORDER BY seq {'DESC' if desc else 'ASC'} LIMIT ?"
        with self._db() as db:
            rows = db.execute(query, [*args, limit + 1]).fetchall()
        return page([json.loads(r[0]) for r in rows], limit)

    def delete_file(self, file_id: str) -> bool:
        with self._db() as db:
            return db.execute("DELETE FROM files WHERE id = ?", (file_id,)).rowcount > 0

    # ------------------------------------------------------------------ jobs

    def add_job(self, job: dict[str, Any], state: dict[str, Any]) -> None:
        with self._db() as db:
            db.execute("INSERT INTO jobs (id, status, job, state) VALUES (?, ?, ?, ?)",
                       (job["id"], job["status"], json.dumps(job), json.dumps(state)))

    def get_job(self, job_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The (public job, private state) pair, or None."""
        with self._db() as db:
            row = db.execute("SELECT job, state FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return (json.loads(row[0]), json.loads(row[1])) if row else None

    def update_job(self, job_id: str, changes: dict[str, Any] | None = None, state: dict[str, Any] | None = None,
                   *, only_if: tuple[str, ...] | None = None) -> dict[str, Any] | None:
        """Merge `changes` into the job and `state` into its state, atomically; with `only_if`, only while the
        job's status is one of those. Returns the updated job, or None when nothing was changed."""
        with self._db() as db:
            row = db.execute("SELECT job, state FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            job, old = json.loads(row[0]), json.loads(row[1])
            if only_if is not None and job["status"] not in only_if:
                return None
            job.update(changes or {})
            old.update(state or {})
            db.execute("UPDATE jobs SET status = ?, job = ?, state = ? WHERE id = ?",
                       (job["status"], json.dumps(job), json.dumps(old), job_id))
        return job

    def list_jobs(self, after: str | None, limit: int) -> dict[str, Any]:
        """Jobs newest first; `after` is the id of the last job of the previous page."""
        query, args = "SELECT job FROM jobs", []
        if after:
            query, args = query + " WHERE seq < (SELECT seq FROM jobs WHERE id = ?)", [after]
        with self._db() as db:
            rows = db.execute(query + " ORDER BY seq DESC LIMIT ?", [*args, limit + 1]).fetchall()
        return page([json.loads(r[0]) for r in rows], limit)

    def job_ids(self, *statuses: str) -> list[str]:
        """Ids of the jobs in these statuses, oldest first."""
        marks = ", ".join("?" * len(statuses))
        with self._db() as db:
            rows = db.execute(f"SELECT id FROM jobs WHERE status IN ({marks}) ORDER BY seq", statuses).fetchall()
        return [r[0] for r in rows]

    def jobs_using_file(self, file_id: str, statuses: tuple[str, ...]) -> list[str]:
        marks = ", ".join("?" * len(statuses))
        with self._db() as db:
            rows = db.execute(f"SELECT id, job FROM jobs WHERE status IN ({marks})", statuses).fetchall()
        return [i for i, raw in rows
                if file_id in (json.loads(raw).get("training_file"), json.loads(raw).get("validation_file"))]

    # ------------------------------------------------------------------ events

    def add_event(self, job_id: str, message: str, *, level: str = "info", kind: str = "message",
                  data: dict[str, Any] | None = None) -> dict[str, Any]:
        event = {"object": "fine_tuning.job.event", "id": new_id("ftevent-"), "created_at": int(time.time()),
                 "level": level, "message": message, "data": data or {}, "type": kind}
        with self._db() as db:
            db.execute("INSERT INTO events (id, job_id, event) VALUES (?, ?, ?)",
                       (event["id"], job_id, json.dumps(event)))
        return event

    def list_events(self, job_id: str, after: str | None, limit: int) -> dict[str, Any]:
        """Events newest first, as OpenAI lists them; `after` is the id of the last event already seen."""
        query, args = "SELECT event FROM events WHERE job_id = ?", [job_id]
        if after:
            query += " AND seq < (SELECT seq FROM events WHERE id = ?)"
            args.append(after)
        with self._db() as db:
            rows = db.execute(query + " ORDER BY seq DESC LIMIT ?", [*args, limit + 1]).fetchall()
        return page([json.loads(r[0]) for r in rows], limit)

    # ------------------------------------------------------------------ checkpoints

    def add_checkpoint(self, checkpoint: dict[str, Any], path: Path) -> None:
        with self._db() as db:
            db.execute("INSERT INTO checkpoints (id, job_id, model, path, checkpoint) VALUES (?, ?, ?, ?, ?)",
                       (checkpoint["id"], checkpoint["fine_tuning_job_id"], checkpoint["fine_tuned_model_checkpoint"],
                        str(path), json.dumps(checkpoint)))

    def list_checkpoints(self, job_id: str, after: str | None, limit: int) -> dict[str, Any]:
        """Checkpoints newest (highest step) first."""
        query, args = "SELECT checkpoint FROM checkpoints WHERE job_id = ?", [job_id]
        if after:
            query += " AND seq < (SELECT seq FROM checkpoints WHERE id = ?)"
            args.append(after)
        with self._db() as db:
            rows = db.execute(query + " ORDER BY seq DESC LIMIT ?", [*args, limit + 1]).fetchall()
        return page([json.loads(r[0]) for r in rows], limit)

    def checkpoint_path(self, model_id: str) -> Path | None:
        with self._db() as db:
            row = db.execute("SELECT path FROM checkpoints WHERE model = ?", (model_id,)).fetchone()
        return Path(row[0]) if row else None
