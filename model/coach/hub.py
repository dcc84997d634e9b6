"""Talking to the Hugging Face hub with limits: connect/read timeouts, retries with backoff, progress.

huggingface_hub's shared HTTP client has no timeout at all (a proxy that accepts and never answers
hangs `snapshot_download` forever), so llaqo installs a client factory whose timeouts are the hub's own
settings — HF_HUB_ETAG_TIMEOUT to connect, HF_HUB_DOWNLOAD_TIMEOUT to read (10 s each by default) — and
retries a timed-out call with the backoff of huggingface_hub's `http_backoff` (1, 2, 4... s, at most 8).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from llaqo.common.errors import CheckpointError

T = TypeVar("T")
RETRIES = 2  # after the first try: a silent hub costs 3 timeouts plus 1 + 2 s of backoff, then one line
BASE_WAIT_S, MAX_WAIT_S = 1.0, 8.0  # huggingface_hub.utils.http_backoff's defaults


def install_timeouts() -> tuple[float, float]:
    """Make every huggingface_hub request time out; → (connect, read) seconds."""
    import httpx2
    from huggingface_hub import constants
    from huggingface_hub.utils import _http

    connect, read = float(constants.HF_HUB_ETAG_TIMEOUT), float(constants.HF_HUB_DOWNLOAD_TIMEOUT)

    limits = httpx2.Timeout(read, connect=connect).as_dict()

    def bounded(request: httpx2.Request) -> None:
        # huggingface_hub passes timeout=None per call (repo_info does), which overrides a client default;
        # the request's own timeout extension is what the transport reads, so a missing limit is set here
        given = request.extensions.get("timeout") or {}
        request.extensions["timeout"] = {k: (given.get(k) if given.get(k) is not None else v)
                                         for k, v in limits.items()}

    def factory() -> httpx2.Client:
        return httpx2.Client(event_hooks={"request": [_http.hf_request_event_hook, bounded]},
                             follow_redirects=True, timeout=httpx2.Timeout(read, connect=connect))

    _http.set_client_factory(factory)  # also closes the client made before, so the next call uses this one
    return connect, read


def with_retries(call: Callable[[], T], what: str) -> T:
    """`call()`, tried again after a timeout or a dropped connection; past the retries: one CheckpointError
    "no answer from the hub after N s"."""
    import httpx2

    started = time.monotonic()
    for attempt in range(RETRIES + 1):
        try:
            return call()
        except Exception as e:
            if not _timed_out(e, (httpx2.TimeoutException, httpx2.NetworkError, TimeoutError)):
                raise
            if attempt == RETRIES:
                waited = time.monotonic() - started
                raise CheckpointError(f"no answer from the hub after {waited:.0f} s ({what}: {type(e).__name__})",
                                      "check the network or the proxy (HF_ENDPOINT, HTTPS_PROXY); "
                                      "run the same command again to resume") from None
            time.sleep(min(MAX_WAIT_S, BASE_WAIT_S * 2**attempt))
    raise AssertionError("unreachable")


def _timed_out(e: BaseException | None, kinds: tuple[type, ...]) -> bool:
    """Whether `e` or what caused it (huggingface_hub wraps a ReadTimeout in its own errors) is a timeout."""
    seen = 0
    while e is not None and seen < 20:
        if isinstance(e, kinds):
            return True
        e, seen = e.__cause__ or e.__context__, seen + 1
    return False
