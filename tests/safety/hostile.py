"""Hostile and careless inputs, made on the fly: each a `Case` that runs `llaqo` as a user would.

Every file is tiny (bytes to a few hundred KB); what makes it hostile is what it claims: a header
saying 1 Hz, an alias bomb, a time signature of 0/4, a zip member that inflates to 100 MB.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

LISTEN = ("--engine", "listen", "--transcriber", "fast", "--rubric", "quick")


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], list[str]]  # folder -> the arguments after `llaqo`
    ok: bool = False  # True: exits 0 (a clear answer); False: one `error:` line and a non-zero exit
    says: str = ""  # what stdout+stderr must contain (case-insensitive)


# --- audio ----------------------------------------------------------------------------------------------

def wav_bytes(rate: int = 16_000, channels: int = 1, bits: int = 16, data: bytes = b"", fmt: int = 1,
              declared: int | None = None) -> bytes:
    """A RIFF/WAVE file with exactly the header fields given (no library checks them)."""
    block = channels * bits // 8
    fmt_chunk = struct.pack("<HHIIHH", fmt, channels, rate, rate * block, block, bits)
    size = len(data) if declared is None else declared
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt_chunk + b"data" + struct.pack("<I", size) + data
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + body


def tone(seconds: float = 2.0, rate: int = 16_000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 330 * t) * np.exp(-(t % 0.5) * 4)).astype(np.float32)


def _file(name: str, content: bytes | Callable[[], bytes]) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        p = d / name
        p.write_bytes(content() if callable(content) else content)
        return p
    return make


def _float_wav(name: str, samples: np.ndarray) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        sf.write(d / name, samples, 16_000, subtype="FLOAT")
        return d / name
    return make


def _assess(make_file: Callable[[Path], Path], *extra: str) -> Callable[[Path], list[str]]:
    return lambda d: ["assess", str(make_file(d)), *LISTEN, *extra]


def _noise(db: float) -> np.ndarray:
    return (np.random.default_rng(0).standard_normal(16_000 * 3) * 10 ** (db / 20)).astype(np.float32)


def _with(samples: np.ndarray, value: float) -> np.ndarray:
    x = samples.copy()
    x[::97] = value
    return x


_RANDOM = bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8))
_PCM = (tone(1.0) * 32767).astype("<i2").tobytes()

AUDIO = [
    Case("missing file", lambda d: ["assess", str(d / "nope.wav"), *LISTEN], says="no such file"),
    Case("a folder", lambda d: ["assess", str(d), *LISTEN], says="folder"),
    Case("0-byte wav", _assess(_file("empty.wav", b"")), says="empty"),
    Case("broken RIFF header", _assess(_file("broken.wav", b"RIFF\x00\x00\x00\x00WAVEfmt nonsense"))),
    Case("random bytes .wav", _assess(_file("random.wav", _RANDOM))),
    Case("random bytes .mp3", _assess(_file("random.mp3", _RANDOM))),
    Case("random bytes .flac", _assess(_file("random.flac", _RANDOM))),
    Case("random bytes .m4a", _assess(_file("random.m4a", _RANDOM))),
    Case("text as .ogg", _assess(_file("notes.ogg", b"this is not audio\n" * 50))),
    Case("header says 1 Hz", _assess(_file("one-hz.wav", wav_bytes(rate=1, data=_PCM[:8800]))), says="1 Hz"),
    Case("header says 3 GHz", _assess(_file("ghz.wav", wav_bytes(rate=3_000_000_000 // 2, data=_PCM[:8800])))),
    Case("header says 1000 channels", _assess(_file("many.wav", wav_bytes(channels=1000, data=_PCM[:16000])))),
    Case("header says 0 channels", _assess(_file("none.wav", wav_bytes(channels=0, data=_PCM[:1000])))),
    Case("wav with no frames", _assess(_file("noframes.wav", wav_bytes())), says="no audio"),
    Case("truncated wav (header claims 100 MB)", _assess(_file("cut.wav", wav_bytes(data=_PCM, declared=100 << 20))),
         ok=True),
    Case("all silence", _assess(_file("silence.wav", wav_bytes(data=bytes(32_000)))), ok=True,
         says="no piano heard"),
    Case("-50 dBFS noise", _assess(_float_wav("noise50.wav", _noise(-50))), ok=True, says="no piano heard"),
    Case("loud white noise", _assess(_float_wav("noise10.wav", _noise(-10))), ok=True, says="no piano heard"),
    Case("NaN samples", _assess(_float_wav("nan.wav", _with(tone(), np.nan))), ok=True, says="NaN or infinite"),
    Case("Inf samples", _assess(_float_wav("inf.wav", _with(tone(), np.inf))), ok=True, says="NaN or infinite"),
    Case("all NaN", _assess(_float_wav("allnan.wav", np.full(16_000, np.nan, np.float32))), ok=True,
         says="no piano heard"),
    Case("ANSI escape in a file name", lambda d: ["assess", str(d / "\x1b[2J\x1b[31mred.wav"), *LISTEN],
         says="\\x1b"),
    Case("ANSI escape in a take's name", _assess(_file("\x1b[2J\x1b[31mred.wav", wav_bytes(data=_PCM))), ok=True,
         says="\\x1b"),
]


# --- outputs --------------------------------------------------------------------------------------------

def _take(d: Path, name: str = "t.flac") -> Path:
    p = d / name
    if not p.exists():
        sf.write(p, tone(), 16_000)
    return p


OUTPUTS = [
    Case("--json onto the take", lambda d: ["assess", str(_take(d)), *LISTEN, "--json", str(_take(d))],
         says="audio file"),
    Case("--json onto another take", lambda d: ["assess", str(_take(d, "b.flac")), *LISTEN, "--json",
                                                 str(_take(d, "a.wav"))], says="audio file"),
    Case("--json onto an input spelt another way", lambda d: ["assess", str(_take(d, "in.json.flac")), *LISTEN,
                                                               "--markdown", str(d / "." / "in.json.flac")]),
    Case("--html in a missing folder", lambda d: ["assess", str(_take(d)), *LISTEN, "--html", str(d / "no" / "r.html")],
         says="does not exist"),
    Case("--html under /proc", lambda d: ["assess", str(_take(d)), *LISTEN, "--html", "/proc/x.html"]),
    Case("--json onto a folder", lambda d: ["assess", str(_take(d)), *LISTEN, "--json", str(d)], says="folder"),
    Case("--markdown and --html one file", lambda d: ["assess", str(_take(d)), *LISTEN, "--markdown",
                                                       str(d / "r.txt"), "--html", str(d / "r.txt")], says="two"),
]


# --- rubrics (YAML) -------------------------------------------------------------------------------------

BOMB = "\n".join([  # 9^9 strings once expanded; the last one is a field the schema checks (and shows)
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    *(f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]" for p, n in zip("abcdefg", "bcdefgh")),
    f"name: [{','.join(['*h'] * 9)}]",
]) + "\n"


def _rubric(name: str, text: str | bytes) -> Callable[[Path], list[str]]:
    def make(d: Path) -> list[str]:
        p = d / name
        p.write_bytes(text if isinstance(text, bytes) else text.encode())
        return ["assess", str(_take(d)), "--engine", "listen", "--transcriber", "fast", "--rubric", str(p)]
    return make


RUBRICS = [
    Case("YAML alias bomb", _rubric("bomb.yaml", BOMB), says="alias"),
    Case("YAML nested 100,000 deep", _rubric("deep.yaml", "[" * 100_000 + "]" * 100_000), says="deeper"),
    Case("YAML block nesting 5,000 deep", _rubric("deepblock.yaml", "".join(" " * i + "a:\n" for i in range(5000)))),
    Case("2 MB rubric", _rubric("big.yaml", "# " + "x" * (2 << 20) + "\n"), says="bytes"),
    Case("binary rubric", _rubric("bin.yaml", _RANDOM)),
    Case("rubric is a list", _rubric("list.yaml", "- a\n- b\n")),
    Case("python tag in rubric", _rubric("tag.yaml", "!!python/object/apply:os.system ['echo pwned']\n")),
    Case("huge wrong value", _rubric("wide.yaml", "name: x\nquestions: " + str([[i] * 50 for i in range(5000)]) + "\n")),
]


# --- reference scores -----------------------------------------------------------------------------------

def midi_bytes(track: bytes, division: int = 480) -> bytes:
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, division & 0xFFFF)
    return header + b"MTrk" + struct.pack(">I", len(track)) + track


_NOTE = b"\x00\x90\x3c\x40\x60\x80\x3c\x00"  # note on C4, 96 ticks later note off
_END = b"\x00\xff\x2f\x00"
_TS0 = b"\x00\xff\x58\x04\x00\x02\x18\x08"  # time signature 0/4


def _reference(name: str, content: bytes | Callable[[], bytes]) -> Callable[[Path], list[str]]:
    def make(d: Path) -> list[str]:
        p = _file(name, content)(d)
        return ["assess", str(_take(d)), *LISTEN, "--reference", str(p)]
    return make


@functools.lru_cache(maxsize=1)
def _mxl_bomb(inflated: int = 1 << 31) -> bytes:
    """A ~2 MB .mxl whose score member inflates to 2 GiB of spaces. Written by hand, fast: one deflate
    block of 16 MiB of spaces ends in a full flush (it refers to nothing before it), so the same bytes
    repeated make the whole stream; zipfile would take seconds to compress 2 GiB."""
    chunk = b" " * (1 << 24)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    count = inflated // len(chunk)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    data = block * count + b"\x03\x00"  # an empty final block ends the stream
    container = b'<container><rootfiles><rootfile full-path="s.xml"/></rootfiles></container>'
    members = [(b"META-INF/container.xml", 0, container, zlib.crc32(container), len(container)),
               (b"s.xml", 8, data, crc, count * len(chunk))]
    out, central = io.BytesIO(), io.BytesIO()
    for name, method, payload, crc32, size in members:
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc32, len(payload), size,
                              len(name), 0) + name + payload)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc32,
                                  len(payload), size, len(name), 0, 0, 0, 0, 0, offset) + name)
    start, directory = out.tell(), central.getvalue()
    out.write(directory + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 2, 2, len(directory), start, 0))
    return out.getvalue()


_XXE = (b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<score-partwise><part><measure><note><pitch><step>&x;</step><octave>4</octave></pitch>"
        b"<duration>1</duration></note></measure></part></score-partwise>")
_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lollollollollollollollollollol">'
           + b"".join(f'<!ENTITY {n} "{("&" + p + ";") * 10}">'.encode() for p, n in zip("abcdefgh", "bcdefghi"))
           + b"]><score-partwise>&i;</score-partwise>")
_DIV0 = (b"<score-partwise><part><measure><attributes><divisions>0</divisions></attributes><note><pitch>"
         b"<step>C</step><octave>4</octave></pitch><duration>1</duration></note></measure></part></score-partwise>")

SCORES = [
    Case("MIDI time signature 0/4 (43 bytes)", _reference("ts0.mid", midi_bytes(_TS0 + _NOTE + _END)),
         says="time signature"),
    Case("MIDI 0 ticks per beat", _reference("tpb0.mid", midi_bytes(_NOTE + _END, division=0)), says="ticks"),
    Case("MIDI SMPTE division", _reference("smpte.mid", midi_bytes(_NOTE + _END, division=0xE728))),
    Case("MIDI note at tick 2^27", _reference("far.mid", midi_bytes(b"\xc0\x80\x80\x00\x90\x3c\x40" + _END))),
    Case("MIDI garbage", _reference("junk.mid", _RANDOM)),
    Case("MIDI truncated", _reference("cut.mid", midi_bytes(_TS0 + _NOTE + _END)[:30])),
    Case(".mxl zip bomb", _reference("bomb.mxl", _mxl_bomb), says="zip bomb"),
    Case(".mxl not a zip", _reference("nozip.mxl", _RANDOM)),
    Case("MusicXML XXE", _reference("xxe.musicxml", _XXE)),
    Case("MusicXML billion laughs", _reference("laughs.musicxml", _LAUGHS)),
    Case("MusicXML divisions 0", _reference("div0.musicxml", _DIV0)),
    Case("score with a wrong suffix", _reference("score.pdf", b"%PDF-1.4")),
]


# --- options --------------------------------------------------------------------------------------------

def _opts(*args: str) -> Callable[[Path], list[str]]:
    return lambda d: ["assess", str(_take(d)), *args]


OPTIONS = [
    Case("listen on --device tpu9", _opts("--engine", "listen", "--device", "tpu9")),
    Case("listen on --device cuda:7", _opts("--engine", "listen", "--transcriber", "fast", "--device", "cuda:7")),
    Case("--mode junk", _opts("--mode", "junk")),
    Case("--max-length -5", _opts("--engine", "listen", "--max-length", "-5")),
    Case("--dtype for the listening engine", _opts("--engine", "listen", "--dtype", "fp16"), says="dtype"),
    Case("--model that is a file", _opts("--engine", "coach", "--model", "/etc/hostname")),
]

ALL = AUDIO + OUTPUTS + RUBRICS + SCORES + OPTIONS
