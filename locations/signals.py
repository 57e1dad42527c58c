"""Signals of the locations app, for apps that build on it.

`locations` may not import `inventory` (the dependency points the other way), yet webhooks for
location changes are written by `inventory`, in the same transaction as the change. So the
writers here announce their changes with a signal and `inventory` listens (connected in
`InventoryConfig.ready`). Receivers run synchronously, inside the writer's transaction: an
exception in one rolls the change back.
"""

from django.dispatch import Signal

# Sent after locations were created or updated, before the transaction commits, with
# `created` and `updated`: lists of location ids (either may be empty).
locations_changed = Signal()
