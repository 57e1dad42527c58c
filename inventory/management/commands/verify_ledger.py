from typing import Any

from django.core.management.base import BaseCommand

from inventory.stock.audit import (
    document_counts,
    find_document_discrepancies,
    find_ledger_discrepancies,
    ledger_size,
)


class Command(BaseCommand):
    help = (
        "Replay the stock ledger and check it against the balances: every chain of ledger lines"
        " must start at 0, be unbroken and end at the balance's quantity. Then check transfers"
        " and supplier receipts against the ledger: shipments, receivings and their documents'"
        " running totals must agree. Exits 1 when anything disagrees."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        discrepancies = find_ledger_discrepancies() + find_document_discrepancies()
        if discrepancies:
            for found in discrepancies:
                self.stderr.write(f"{found.sku} @ {found.location_code}: {found.problem}")
            self.stderr.write(
                self.style.ERROR(f"Ledger check failed: {len(discrepancies)} discrepancies.")
            )
            # A non-zero exit status, so that cron jobs and CI notice.
            raise SystemExit(1)
        balances, lines = ledger_size()
        transfers, receipts = document_counts()
        self.stdout.write(
            self.style.SUCCESS(
                f"Ledger OK: {balances} balances and {lines} ledger lines agree.\n"
                f"Documents OK: {transfers} transfers and {receipts} supplier receipts agree"
                " with the ledger."
            )
        )
