"""A reference score checked before it is read: bounded in size and sane in its timing, so a 43-byte MIDI
(time-signature numerator 0: an endless bar loop) or a 1.5 MB .mxl zip bomb fails in one line instead of
taking the machine's memory. `load_score` calls `check_score_file` first; nothing here allocates by what the
file claims.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from llaqo.common.errors import ConfigError
from llaqo.common.text import shown

MAX_SCORE_BYTES = 32 << 20  # a piano score as MIDI or MusicXML is a few MB at most
MAX_MEMBER_BYTES = 64 << 20  # one decompressed .mxl member (MusicXML is verbose: allow 2x the file cap)
MAX_MEMBERS = 1_000
MAX_QUARTERS = 200_000  # notes later than this (~28 h at 120 bpm) mean a corrupt or hostile file
HINT = "check that the file opens in a notation program"


def check_score_file(path: Path) -> None:
    """Refuse (ConfigError, one line) a score file that is too large or whose timing cannot be real."""
    path = Path(path)
    if not path.is_file():
        return  # load_score says "no such score file"
    size = path.stat().st_size
    if size > MAX_SCORE_BYTES:
        raise ConfigError(f"{shown(path)}: {size:,} bytes; a score is at most {MAX_SCORE_BYTES:,}", HINT)
    suffix = path.suffix.lower()
    if suffix in (".mid", ".midi"):
        check_midi(path)
    elif suffix == ".mxl":
        check_mxl(path)


def check_mxl(path: Path) -> None:
    """Every member's declared size is bounded before anything is decompressed (zipfile also stops a
    member that inflates past its declared size, so the declaration cannot lie)."""
    try:
        with zipfile.ZipFile(path) as z:
            members = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ConfigError(f"{shown(path)}: not a readable .mxl (zip) file ({shown(e, 100)})", HINT) from None
    if len(members) > MAX_MEMBERS:
        raise ConfigError(f"{shown(path)}: {len(members):,} files in the archive; a score has a few", HINT)
    for m in members:
        if m.file_size > MAX_MEMBER_BYTES:
            raise ConfigError(f"{shown(path)}: {shown(m.filename, 80)} would decompress to {m.file_size:,} bytes "
                              f"(at most {MAX_MEMBER_BYTES:,}: a zip bomb?)", HINT)


def check_midi(path: Path) -> None:
    """Ticks per beat, time signatures and note times within what a score can be."""
    import mido

    try:
        midi = mido.MidiFile(str(path))
    except Exception as e:  # mido raises OSError, EOFError, ValueError, KeyError... on corrupt files
        raise ConfigError(f"{shown(path)}: cannot read the score ({shown(e, 100)})", HINT) from None
    tpb = midi.ticks_per_beat
    if not isinstance(tpb, int) or not 0 < tpb < 0x8000:
        raise ConfigError(f"{shown(path)}: {tpb} ticks per beat (SMPTE timing or corrupt); a score needs "
                          "1 to 32767 ticks per quarter note", HINT)
    limit = MAX_QUARTERS * tpb
    for track in midi.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "time_signature":
                if not (1 <= msg.numerator <= 128 and msg.denominator in (1, 2, 4, 8, 16, 32, 64)):
                    raise ConfigError(f"{shown(path)}: time signature {msg.numerator}/{msg.denominator} "
                                      f"at tick {tick} is not a real one", HINT)
            if tick > limit:
                raise ConfigError(f"{shown(path)}: an event at quarter note {tick // tpb:,}; a score ends before "
                                  f"{MAX_QUARTERS:,}", HINT)
