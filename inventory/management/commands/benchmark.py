"""`manage.py benchmark [--json] [--section NAME …] [--quick] [--check]`.

PostgreSQL only. Creates a scratch database, starts a real server on it, measures each section
against a floor taken in the same run, prints a table (or JSON), and drops the database."""

import importlib
import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from inventory.management.benchmark.context import Context, create_credentials, postgres_version
from inventory.management.benchmark.report import as_json, as_table
from inventory.management.benchmark.scratch import checkpoint, scratch_database
from inventory.management.benchmark.server import serve

# Each module has `run(context) -> list[Row]`; they run in this order. History first: its
# 10k-line floor must be taken before the other sections add ledger lines of their own.
SECTIONS = {
    "history": "inventory.management.benchmark.history",
    "batch": "inventory.management.benchmark.batch",
    "contention": "inventory.management.benchmark.contention",
    "flash": "inventory.management.benchmark.flash_sale",
    "stocktake": "inventory.management.benchmark.stocktake",
    "export": "inventory.management.benchmark.export",
    "scale": "inventory.management.benchmark.scale",
}
# Run only when asked for (`--section scale`): it fills ten million balances.
NOT_BY_DEFAULT = {"scale"}
# As production runs it (README): one worker per core, two threads each. On 2 cores that served
# the most pings and the most writes, against 4 x 2, 3 x 2, 6 x 2, 2 x 4 and 4 x 1 (each
# extra process adds context switches; each extra thread, a queue for its worker's GIL behind
# threads back from the database).
SERVER_WORKERS = os.cpu_count() or 2
SERVER_THREADS = 2
BENCHMARK_URLS = "inventory.management.benchmark.urls"  # the project's, and the floor views


class Command(BaseCommand):
    help = (
        "Measure Stockroom against floors taken in the same run (PostgreSQL only): batch latency"
        " through HTTP vs one raw SQL statement, contention vs an authenticated no-op, history"
        " pages at 10k vs 1M ledger lines, a stocktake apply vs an absolute batch."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")
        parser.add_argument(
            "--section",
            action="append",
            choices=list(SECTIONS),
            dest="sections",
            help="Run only this section; repeat for several. Default: all.",
        )
        parser.add_argument("--repeat", type=int, default=15, help="Timed runs per figure.")
        parser.add_argument(
            "--quick",
            action="store_true",
            help="Small scales and few runs: checks the command works, not the targets.",
        )
        parser.add_argument(
            "--check", action="store_true", help="Exit with status 3 when a target is missed."
        )
        parser.add_argument("--workers", type=int, default=SERVER_WORKERS, help="gunicorn workers")
        parser.add_argument("--threads", type=int, default=SERVER_THREADS, help="per worker")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "The benchmark needs PostgreSQL: set DATABASE_URL=postgres://… (it creates and "
                "drops its own scratch database there)."
            )
        # Always in SECTIONS' order, whatever the order asked: history's floor comes first.
        asked = options["sections"] or [name for name in SECTIONS if name not in NOT_BY_DEFAULT]
        sections = [name for name in SECTIONS if name in asked]
        repeat = 3 if options["quick"] else options["repeat"]
        rows = []
        with scratch_database() as database_url:
            token, admin_cookie = create_credentials()
            version = postgres_version()
            with serve(
                database_url=database_url,
                workers=options["workers"],
                threads=options["threads"],
                env={"DJANGO_ROOT_URLCONF": BENCHMARK_URLS},
            ) as base_url:
                context = Context(
                    database_url=database_url,
                    base_url=base_url,
                    token=token,
                    admin_cookie=admin_cookie,
                    repeat=repeat,
                    quick=options["quick"],
                )
                for name in sections:
                    self.stderr.write(f"benchmark: {name}…")
                    if not checkpoint():
                        self.stderr.write("  (no CHECKPOINT: the user may not; figures may vary)")
                    rows += importlib.import_module(SECTIONS[name]).run(context)
        render = as_json if options["json"] else as_table
        self.stdout.write(render(rows, postgres=version))
        missed = [row for row in rows if row.met is False]
        if missed and not options["quick"]:
            names = "; ".join(f"{row.section}: {row.measure}" for row in missed)
            self.stderr.write(self.style.ERROR(f"Targets missed: {names}"))
            if options["check"]:
                sys.exit(3)
