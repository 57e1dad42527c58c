from typing import Any

from django.core.management.base import BaseCommand

from inventory.stock.audit import find_ledger_discrepancies, ledger_size


class Command(BaseCommand):
    help = (
        "Replay the stock ledger and check it against the balances: every chain of ledger lines"
        " must start at 0, be unbroken and end at the balance's quantity. Exits 1 when anything"
        " disagrees."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        discrepancies = find_ledger_discrepancies()
        if discrepancies:
            for found in discrepancies:
                self.stderr.write(f"{found.sku} @ {found.location_code}: {found.problem}")
            self.stderr.write(
                self.style.ERROR(f"Ledger check failed: {len(discrepancies)} discrepancies.")
            )
            # A non-zero exit status, so that cron jobs and CI notice.
            raise SystemExit(1)
        balances, lines = ledger_size()
        self.stdout.write(
            self.style.SUCCESS(f"Ledger OK: {balances} balances and {lines} ledger lines agree.")
        )
