"""The practice history's SQLite store: one row per assessed take (a session), its ratings and its
measurements.

    store = HistoryStore.open(history_path())      # refuses a corrupt or foreign file, migrates an old one
    store.add(session)                             # one transaction; → the session's id
    store.sessions(piece="etude", since=datetime)  # oldest first

WAL mode and a busy timeout let two llaqo processes write at once: each insert is one `BEGIN IMMEDIATE`
transaction, so a second writer waits for the first instead of failing, and nothing is lost. The schema
version is SQLite's `user_version`; `MIGRATIONS` brings an older file up to date inside one transaction.
A file that is not a llaqo history (or is damaged) is reported in one line and never written to.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from llaqo.common.errors import LlaqoError
from llaqo.common.text import shown

APPLICATION_ID = 0x4C4C5148  # "LLQH": marks the file as a llaqo history for `file` and for us
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 60_000  # a second writer waits this long for the first one's transaction

# version → the statements that bring a file from version-1 to it; never edit a released step, add one
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE sessions (
               id INTEGER PRIMARY KEY,
               created_at TEXT NOT NULL,         -- ISO 8601, UTC
               take_path TEXT NOT NULL,
               take_sha256 TEXT NOT NULL,
               piece TEXT,                       -- --piece, or the reference score's title; NULL: none
               engine TEXT NOT NULL,
               model TEXT,
               rubric TEXT NOT NULL,
               duration_s REAL NOT NULL,
               report_json TEXT NOT NULL         -- the JSON report, without the transcription
           )""",
        """CREATE TABLE ratings (
               session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
               question_id TEXT NOT NULL,
               dimension TEXT NOT NULL,
               label TEXT NOT NULL,
               kind TEXT NOT NULL,               -- rating | difficulty | technique
               value,                            -- an integer, a technique class, or NULL (not followed)
               scale_lo INTEGER,
               scale_hi INTEGER
           )""",
        """CREATE TABLE measurements (
               session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
               dimension TEXT NOT NULL,
               measure TEXT NOT NULL,
               value REAL NOT NULL,
               unit TEXT NOT NULL
           )""",
    ),
    2: (
        "CREATE INDEX sessions_by_piece ON sessions (piece, created_at)",
        "CREATE INDEX ratings_by_session ON ratings (session_id)",
        "CREATE INDEX measurements_by_session ON measurements (session_id)",
    ),
}
SCHEMA_VERSION = max(MIGRATIONS)


class HistoryError(LlaqoError):
    """A history database that cannot be read or written (damaged, foreign, from a newer llaqo)."""


@dataclass
class Rating:
    question_id: str
    dimension: str
    label: str
    kind: str  # "rating" | "difficulty" | "technique"
    value: int | str | None
    scale: tuple[int, int] | None = None


@dataclass
class Measurement:
    dimension: str
    measure: str  # e.g. "grid_deviation"
    value: float
    unit: str = ""


@dataclass
class Session:
    """One assessed take, as stored."""

    take_path: str
    take_sha256: str
    piece: str | None
    engine: str
    rubric: str
    duration_s: float
    model: str | None = None
    ratings: list[Rating] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    report: dict = field(default_factory=dict)
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    id: int | None = None

    def rating(self, dimension: str) -> int | str | None:
        """The value of the dimension's first rating (rating questions before verbal ones)."""
        return next((r.value for r in self.ratings if r.dimension == dimension), None)

    def measurement(self, measure: str) -> float | None:
        return next((m.value for m in self.measurements if m.measure == measure), None)


class HistoryStore:
    def __init__(self, path: Path, connection: sqlite3.Connection):
        self.path = path
        self._db = connection

    @classmethod
    def open(cls, path: str | Path) -> HistoryStore:
        """Open (creating it and its folder if needed) and migrate the history at `path`."""
        path = Path(path)
        _refuse_foreign(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except (OSError, sqlite3.Error) as e:
            raise HistoryError(f"{shown(path)}: cannot open the practice history ({e})",
                               "set LLAQO_HOME to a writable folder, or add --no-history") from None
        store = cls(path, db)
        with store._errors("open"):
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            store._check_owner()
            _use_wal(db)
            db.execute("PRAGMA foreign_keys = ON")
            store._migrate()
        return store

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add(self, session: Session) -> int:
        """Store one session in one transaction → its id (also set on `session`)."""
        with self._errors("write to"), self._transaction():
            cur = self._db.execute(
                "INSERT INTO sessions (created_at, take_path, take_sha256, piece, engine, model, rubric, duration_s,"
                " report_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (_stamp(session.created_at), session.take_path, session.take_sha256, session.piece,
                 session.engine, session.model, session.rubric, session.duration_s,
                 json.dumps(session.report, ensure_ascii=False)))
            sid = int(cur.lastrowid)
            self._db.executemany(
                "INSERT INTO ratings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(sid, r.question_id, r.dimension, r.label, r.kind, r.value, *(r.scale or (None, None)))
                 for r in session.ratings])
            self._db.executemany("INSERT INTO measurements VALUES (?, ?, ?, ?, ?)",
                                 [(sid, m.dimension, m.measure, m.value, m.unit) for m in session.measurements])
        session.id = sid
        return sid

    def sessions(self, piece: str | None = None, since: datetime | None = None) -> list[Session]:
        """The sessions (oldest first), of one piece (case-insensitive) and/or since a moment."""
        where, args = [], []
        if piece is not None:
            where.append("piece = ? COLLATE NOCASE")
            args.append(piece)
        if since is not None:
            where.append("created_at >= ?")
            args.append(_stamp(since))
        sql = ("SELECT id, created_at, take_path, take_sha256, piece, engine, model, rubric, duration_s "
               "FROM sessions" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY created_at, id")
        with self._errors("read"):
            rows = self._db.execute(sql, args).fetchall()
            found = {r[0]: Session(id=r[0], created_at=datetime.fromisoformat(r[1]), take_path=r[2],
                                   take_sha256=r[3], piece=r[4], engine=r[5], model=r[6], rubric=r[7],
                                   duration_s=r[8]) for r in rows}
            for sid, qid, dim, label, kind, value, lo, hi in self._db.execute("SELECT * FROM ratings"):
                if sid in found:
                    scale = (lo, hi) if lo is not None else None
                    found[sid].ratings.append(Rating(qid, dim, label, kind, value, scale))
            for sid, dim, measure, value, unit in self._db.execute("SELECT * FROM measurements"):
                if sid in found:
                    found[sid].measurements.append(Measurement(dim, measure, value, unit))
        return list(found.values())

    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    # -- inside ---------------------------------------------------------------------------------------------
    def _check_owner(self) -> None:
        # one read transaction: read apart, another process's first migration could commit in between
        # (no application id yet, then its tables) and a fresh history would look like someone else's
        self._db.execute("BEGIN")
        try:
            app = int(self._db.execute("PRAGMA application_id").fetchone()[0])
            tables = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            self._db.execute("COMMIT")
        if app not in (0, APPLICATION_ID) or (app == 0 and tables):
            raise HistoryError(f"{shown(self.path)}: an SQLite database, but not a llaqo practice history; "
                               "it was left as it is", "set LLAQO_HOME to another folder, or add --no-history")

    def _migrate(self) -> None:
        if self.schema_version() == SCHEMA_VERSION:
            return
        with self._transaction():  # the version is read again under the write lock: one process migrates
            version = self.schema_version()
            if version > SCHEMA_VERSION:
                raise HistoryError(f"{shown(self.path)}: written by a newer llaqo (history schema {version}; this "
                                   f"one knows up to {SCHEMA_VERSION})", "upgrade llaqo, or add --no-history")
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[step]:
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _transaction(self):
        return _Transaction(self._db)

    def _errors(self, doing: str):
        return _Errors(self.path, doing)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error: a write is whole or absent."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, value, tb) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


class _Errors:
    """sqlite3's errors as one HistoryError line naming the file; the file itself is never touched. A damaged
    file (DatabaseError) and a passing failure (OperationalError: disk full, locked too long) read apart."""

    def __init__(self, path: Path, doing: str):
        self.path, self.doing = path, doing

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, value, tb) -> None:
        if isinstance(value, sqlite3.DatabaseError) and not isinstance(value, sqlite3.OperationalError):
            raise HistoryError(f"{shown(self.path)}: cannot {self.doing} the practice history ({value}); "
                               "the file was left as it is",
                               "move it aside to start a new history, or add --no-history") from None
        if isinstance(value, sqlite3.Error):
            raise HistoryError(f"{shown(self.path)}: cannot {self.doing} the practice history ({value})",
                               "add --no-history to skip it") from None


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch to WAL once. SQLite answers a journal-mode switch that meets another connection's lock with
    "database is locked" at once, without waiting on the busy timeout, so it is retried here until then."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _refuse_foreign(path: Path) -> None:
    """A file that is not an SQLite database (damaged, or something else) is reported, never opened for
    writing: SQLite could otherwise turn an empty-looking file into a fresh database over it."""
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as e:
        raise HistoryError(f"{shown(path)}: cannot read the practice history ({e.strerror})") from None
    if head and head != SQLITE_HEADER:
        raise HistoryError(f"{shown(path)}: not a practice history database (damaged, or another file); "
                           "it was left as it is", "move it aside to start a new history, or add --no-history")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _stamp(moment: datetime) -> str:
    """ISO 8601 in UTC, always with microseconds: the stored stamps sort as text."""
    return _utc(moment).isoformat(timespec="microseconds")
