"""Webhooks to partners, BigCommerce-shaped, delivered at least once from an outbox.

- `outbox`: events are written in the same transaction as the change they report (one
  set-based INSERT … SELECT per change, joining the change with the subscribed endpoints).
- `delivery`: `manage.py deliver_webhooks` claims due events under a lease, POSTs them
  signed, records every attempt, retries with exponential backoff and gives up after
  WEBHOOK_MAX_ATTEMPTS.
- `signing`: the signature scheme and the recipe a receiver follows to verify it.
- `receiver`: a small verifying receiver for trying it on one machine.
"""
