from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from llaqo.model.history.store import Measurement, Rating, Session

T0 = datetime(2026, 11, 1, 18, 0, tzinfo=timezone.utc)


def session(piece: str | None, day: int, ratings: dict[str, int | None], measures: dict[str, float] = (),
            path: str = "/takes/a.wav") -> Session:
    """A stored-session record: `ratings` dimension → value, `measures` measure → value."""
    return Session(take_path=path, take_sha256="0" * 64, piece=piece, engine="listen", rubric="full",
                   duration_s=30.0, created_at=T0 + timedelta(days=day),
                   ratings=[Rating(f"{d}.rating", d, d.replace("_", " ").capitalize(), "rating", v, (1, 6))
                            for d, v in ratings.items()],
                   measurements=[Measurement("x", m, v, "ms") for m, v in dict(measures).items()])


@pytest.fixture
def db(tmp_path):
    return tmp_path / "history.db"
