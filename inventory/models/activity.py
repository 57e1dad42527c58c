"""Counts of the ledger kept for the dashboards."""

from django.db import models

from locations.models import Location


class DailyActivity(models.Model):
    """How many adjustments (settings changes aside) touched one location on one closed day,
    by source: counted once, by the first dashboard that needs the day, and kept, because a
    closed day's lines never change (`inventory.reports.activity`). The day is a calendar day
    of `time_zone`, the zone the count was made in."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    time_zone = models.CharField(max_length=64)
    adjustments = models.JSONField(default=dict)  # source code -> adjustments that day

    class Meta:
        verbose_name_plural = "daily activity"
        constraints = [
            models.UniqueConstraint(
                fields=["location", "time_zone", "day"], name="uniq_daily_activity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.location} on {self.day}"
