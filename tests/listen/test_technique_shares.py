"""The technique remark gives the top three classes with their shares, and says when none dominates."""

from __future__ import annotations

import re

from llaqo.model.listen.judge.segment import SegmentJudge
from llaqo.model.testing import performances as P
from tests.listen.test_measures import as_heard


def shares(comment: str) -> list[int]:
    return [int(x) for x in re.findall(r"(\d+)%", comment)]


def test_a_clear_technique_leads_and_the_next_two_follow_with_their_shares():
    found, finding = SegmentJudge(as_heard(P.technique_passage("Scales"))).technique()
    assert found == "Scales" and finding.comment.startswith("Mainly scales")
    got = shares(finding.comment)
    assert got[0] == max(got) and 1 <= len(got) <= 3


def test_a_mixed_passage_is_none_clearly_dominant():
    # scales, then octaves, about as many notes each: neither leads by 1.25 times
    scales = P.technique_passage("Scales", 5.0)
    octaves = [type(n)(n.pitch, n.start + 5.0, n.end + 5.0, n.velocity) for n in P.technique_passage("Octaves", 11.0)]
    found, finding = SegmentJudge(as_heard(scales + octaves)).technique()
    assert finding.comment.startswith("None clearly dominant"), finding.comment
    assert 2 <= len(shares(finding.comment)) <= 3 and found in ("Scales", "Octaves")
