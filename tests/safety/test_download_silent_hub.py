"""`llaqo download` behind a server that accepts connections and never answers gives up with one line."""

from __future__ import annotations

import socket
import threading
import time

from tests.safety.conftest import assert_one_line, run_llaqo


def test_download_from_a_silent_hub_gives_up_in_one_line(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(32)
    held: list[socket.socket] = []
    done = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not done.is_set():
            try:
                held.append(server.accept()[0])  # accepted, never answered
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    env = {"HF_ENDPOINT": f"http://127.0.0.1:{server.getsockname()[1]}", "HF_HUB_ETAG_TIMEOUT": "1",
           "HF_HUB_DOWNLOAD_TIMEOUT": "1", "HF_HUB_OFFLINE": "0", "OPENBLAS_NUM_THREADS": "1", "HF_HOME": str(tmp_path / "hf")}
    try:
        started = time.monotonic()
        run = run_llaqo(["download", "--to", str(tmp_path / "ckpts")], tmp_path, timeout=60, env=env,
                        preexec=None)  # torch reserves more address space than a cap allows; time is the test
        elapsed = time.monotonic() - started
    finally:
        done.set()
        thread.join()
        for c in held:
            c.close()
        server.close()
    line = assert_one_line(run)
    assert "no answer from the hub after" in line, line
    assert held, "the client never reached the server"
    assert elapsed < 30
