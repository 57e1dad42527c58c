from typing import Any

from django.core.management.base import BaseCommand

from inventory.alerts import sync_alerts


class Command(BaseCommand):
    help = (
        "Open a low-stock alert (without email) for every balance below its warning level or out"
        " of stock that has none (escalating a low-stock one that ran out), and close the alerts of balances that recovered. Run once"
        " after upgrading, or after stock was loaded around the write path."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        opened, closed = sync_alerts()
        self.stdout.write(f"Low-stock alerts: {opened} opened or escalated, {closed} closed.")
