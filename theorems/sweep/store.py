"""The sweep's store: one SQLite database per sweep directory (``DIR/sweep.sqlite``).

Why SQLite: a record is committed in a transaction the moment its point completes, and SQLite's
journal makes a commit atomic and durable against the process being killed at any instant (a
killed writer leaves either the whole transaction or none of it; the next open rolls back a torn
one). The primary key (the point's key) makes a duplicate impossible, readers see a consistent
snapshot while a sweep writes (WAL mode), and it is in the standard library. Parquet files would
need an atomic rename per point and a compaction step to stay readable.

Only the process that drives a sweep writes; workers return their records to it.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

DB_NAME = "sweep.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    key      TEXT PRIMARY KEY,
    claim    TEXT NOT NULL,
    ordinal  INTEGER NOT NULL,
    status   TEXT NOT NULL,
    wall     REAL NOT NULL,
    record   TEXT NOT NULL,
    created  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sweeps (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    started   REAL NOT NULL,
    finished  REAL,
    spec      TEXT NOT NULL,
    planned   INTEGER NOT NULL,
    computed  INTEGER,
    skipped   INTEGER,
    executor  TEXT NOT NULL,
    wall      REAL
);
"""


class StoreError(ValueError):
    """A sweep directory that cannot be opened as a sweep store."""


class Store:
    """The records of the sweeps written to one directory.

    Parameters
    ----------
    directory : path
        Created if missing (``create=True``); :func:`theorems.sweep.load` opens an existing one.
    """

    def __init__(self, directory, *, create: bool = True):
        self.directory = Path(directory)
        self.path = self.directory / DB_NAME
        if not self.path.exists():
            if not create:
                raise StoreError(f"{str(self.directory)!r} holds no sweep (no {DB_NAME}); run "
                                 "`python -m theorems sweep --out DIR ...` first")
            if self.directory.exists() and not self.directory.is_dir():
                raise StoreError(f"--out {str(self.directory)!r} exists and is not a directory")
            os.makedirs(self.directory, exist_ok=True)
        try:
            self.conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{str(self.path)!r} is not a sweep store: {exc}") from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ----------------------------------------------------------------- reading
    def statuses(self) -> dict:
        """``{key: status}`` of every record."""
        return dict(self.conn.execute("SELECT key, status FROM records"))

    def records(self, keys=None) -> list:
        """The records (dicts) in (claim order as written, ordinal) order; ``keys`` restricts."""
        rows = self.conn.execute("SELECT record, wall, created FROM records ORDER BY ordinal, key").fetchall()
        out = []
        wanted = None if keys is None else set(keys)
        for text, wall, created in rows:
            rec = json.loads(text)
            if wanted is not None and rec["key"] not in wanted:
                continue
            rec["wall_time"], rec["created"] = wall, created
            out.append(rec)
        return out

    def count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    def sweeps(self) -> list:
        cur = self.conn.execute("SELECT id, started, finished, spec, planned, computed, skipped, executor, wall "
                                "FROM sweeps ORDER BY id")
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, row), spec=json.loads(row[3])) for row in cur.fetchall()]

    # ----------------------------------------------------------------- writing
    def write(self, records) -> None:
        """Commit ``records`` (one transaction: all of them or, if killed, none)."""
        now = time.time()
        rows = [(r["key"], r["claim"], int(r["ordinal"]), r["status"], float(r.pop("wall_time", 0.0)),
                 json.dumps(r, sort_keys=True, allow_nan=True), now) for r in (dict(x) for x in records)]
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def begin_sweep(self, spec: dict, planned: int, executor: str) -> int:
        cur = self.conn.execute("INSERT INTO sweeps (started, spec, planned, executor) VALUES (?, ?, ?, ?)",
                                (time.time(), json.dumps(spec, sort_keys=True, default=str), planned, executor))
        return int(cur.lastrowid)

    def end_sweep(self, sweep_id: int, computed: int, skipped: int, wall: float) -> None:
        self.conn.execute("UPDATE sweeps SET finished = ?, computed = ?, skipped = ?, wall = ? WHERE id = ?",
                          (time.time(), computed, skipped, wall, sweep_id))
