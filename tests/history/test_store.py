"""The SQLite store: round trip, filters, migrations, concurrent writers, damaged and foreign files."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timezone

import pytest

from llaqo.model.history.store import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, HistoryError, HistoryStore
from tests.history.conftest import session


def test_round_trip_keeps_every_rating_and_measurement(db):
    with HistoryStore.open(db) as store:
        sid = store.add(session("etude", 0, {"rhythm": 3, "tempo": None}, {"grid_deviation": 41.5}))
        technique = session("etude", 1, {"rhythm": 5})
        technique.ratings[0].kind, technique.ratings[0].value = "technique", "Scales"
        store.add(technique)
        back = store.sessions()
    assert [s.id for s in back] == [sid, sid + 1]
    first = back[0]
    assert (first.rating("rhythm"), first.rating("tempo"), first.measurement("grid_deviation")) == (3, None, 41.5)
    assert first.ratings[0].scale == (1, 6) and first.created_at == datetime(2026, 11, 1, 18, tzinfo=timezone.utc)
    assert back[1].rating("rhythm") == "Scales"  # a technique class stays text


def test_piece_is_case_insensitive_and_since_filters(db):
    with HistoryStore.open(db) as store:
        for day, piece in enumerate(["Etude", "waltz", "etude"]):
            store.add(session(piece, day, {"rhythm": day + 1}))
        assert [s.rating("rhythm") for s in store.sessions(piece="ETUDE")] == [1, 3]
        since = datetime(2026, 11, 3, 12, tzinfo=timezone.utc)
        assert [s.piece for s in store.sessions(since=since)] == ["etude"]
        naive = datetime(2026, 11, 2)  # a naive date reads as UTC
        assert [s.piece for s in store.sessions(since=naive)] == ["waltz", "etude"]


def test_new_file_is_wal_and_current_schema(db):
    with HistoryStore.open(db) as store:
        assert store.schema_version() == SCHEMA_VERSION
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_version_1_file_is_migrated_and_keeps_its_rows(db):
    con = sqlite3.connect(db)
    for statement in MIGRATIONS[1]:
        con.execute(statement)
    con.execute("INSERT INTO sessions VALUES (1, '2026-10-01T10:00:00.000000+00:00', '/a.wav', 'ab', 'etude', "
                "'listen', NULL, 'full', 12.0, '{}')")
    con.execute("INSERT INTO ratings VALUES (1, 'rhythm.rating', 'rhythm', 'Rhythm', 'rating', 4, 1, 6)")
    con.execute("PRAGMA user_version = 1")
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.commit()
    con.close()
    with HistoryStore.open(db) as store:
        assert store.schema_version() == 2
        assert [s.rating("rhythm") for s in store.sessions("etude")] == [4]
    names = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "sessions_by_piece" in names


def test_newer_schema_is_refused(db):
    with HistoryStore.open(db):
        pass
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    with pytest.raises(HistoryError, match="newer llaqo"):
        HistoryStore.open(db)


@pytest.mark.parametrize("content", [b"not a database at all" * 100,
                                     b"SQLite format 3\x00" + b"\xff" * 4000])
def test_damaged_file_is_one_error_and_left_unchanged(db, content):
    db.write_bytes(content)
    with pytest.raises(HistoryError) as e:
        store = HistoryStore.open(db)
        store.sessions()
    assert str(db) in str(e.value) and "\n" not in str(e.value)
    assert db.read_bytes() == content
    assert sorted(p.name for p in db.parent.iterdir()) == ["history.db"]  # no -wal / -journal left beside it


def test_another_apps_database_is_refused(db):
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE contacts (name TEXT)")
    con.commit()
    con.close()
    before = db.read_bytes()
    with pytest.raises(HistoryError, match="not a llaqo practice history"):
        HistoryStore.open(db)
    assert db.read_bytes() == before


WRITER = textwrap.dedent("""
    import sys, time
    from tests.history.conftest import session
    from llaqo.model.history.store import HistoryStore
    path, name, n, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    while time.time() < start:  # both processes begin together
        time.sleep(0.001)
    store = HistoryStore.open(path)
    for k in range(n):
        store.add(session(name, k, {"rhythm": k % 6 + 1, "tempo": 3}, {"grid_deviation": k}))
""")


def test_two_processes_writing_at_once_lose_nothing(db):
    import time

    start = str(time.time() + 2.0)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), name, "60", start], stderr=subprocess.PIPE,
                              text=True) for name in ("first", "second")]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    with HistoryStore.open(db) as store:
        stored = store.sessions()
        assert len(stored) == 120
        for name in ("first", "second"):
            mine = store.sessions(piece=name)
            assert sorted(s.measurement("grid_deviation") for s in mine) == list(range(60))
            assert all(len(s.ratings) == 2 for s in mine)
