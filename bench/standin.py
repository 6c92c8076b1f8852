"""The stand-in MKA1 server in a process of its own, noting how long each request's handler took.

    python -m bench.standin --api-key KEY [--latency SECONDS]

Prints `listening URL` once it accepts connections and serves until SIGTERM. Every entry of the
request log (GET /_standin/requests) gains `handler_ms`: the time from the request's body being
read to its answer being written, so a benchmark can subtract the stand-in's own time.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from typing import Any

from mka1_standin.server import StandinConfig, StandinServer


class TimedStandinServer(StandinServer):
    """A StandinServer whose log entries carry the handler's duration."""

    def __init__(self, host: str, port: int, config: StandinConfig) -> None:
        super().__init__(host, port, config, on_request=self._finished)
        self._current = threading.local()

    def log_request(self, entry: dict[str, Any]) -> None:
        # Called on the handler's thread when the request is read; _finished ends the same one.
        self._current.entry, self._current.started = entry, time.perf_counter()
        super().log_request(entry)

    def _finished(self, line: str) -> None:
        entry = getattr(self._current, "entry", None)
        if entry is None:
            return  # a control request, which is not logged
        entry["handler_ms"] = (time.perf_counter() - self._current.started) * 1000
        self._current.entry = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per generation")
    options = parser.parse_args()
    config = StandinConfig(api_key=options.api_key, latency=(options.latency, options.latency))
    server = TimedStandinServer(options.host, options.port, config)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    print(f"listening {server.url}", flush=True)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        server.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
