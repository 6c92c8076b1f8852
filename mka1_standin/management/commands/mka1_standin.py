"""`manage.py mka1_standin`: serve the MKA1 stand-in until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mka1_standin.server import StandinConfig, StandinServer, parse_latency


class Command(BaseCommand):
    help = "Serve a local stand-in for the MKA1 image API (with fault injection)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--api-key", help="Bearer key to accept (default: MKA1_API_KEY).")
        parser.add_argument(
            "--latency",
            type=parse_latency,
            default=(0.0, 0.0),
            help="Seconds per generation: a number or MIN,MAX.",
        )
        parser.add_argument("--url-lifetime", type=float, default=3600.0)
        parser.add_argument(
            "--model", action="append", default=[], dest="models", help="Extra model to serve."
        )
        parser.add_argument("--error-rate", type=float, default=0.0)
        parser.add_argument("--policy-word", default="forbidden")

    def handle(self, *args: Any, **options: Any) -> None:
        config = StandinConfig(
            api_key=options["api_key"] or settings.MKA1_API_KEY,
            latency=options["latency"],
            url_lifetime=options["url_lifetime"],
            extra_models=tuple(options["models"]),
            error_rate=options["error_rate"],
            policy_word=options["policy_word"],
        )
        try:
            server = StandinServer(options["host"], options["port"], config, self._log)
        except OSError as error:
            address = f"{options['host']}:{options['port']}"
            raise CommandError(f"Cannot listen on {address}: {error}") from error
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        server.start()
        self._log(f"MKA1 stand-in serving {server.url} (Ctrl-C to stop)")
        try:
            while not stop.wait(1.0):
                pass
        finally:
            server.stop()
        self._log("MKA1 stand-in stopped")

    def _log(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
