"""The physical floor: the database doing a stock write's essential work and nothing else, on
plain tables in the scratch database (logged, like the real ones), over psycopg: lock the
balances in key order, update them, insert their ledger lines, commit."""

import psycopg

TABLES = """
CREATE TABLE IF NOT EXISTS floor_balance (
    id bigserial PRIMARY KEY,
    item_id bigint NOT NULL,
    location_id bigint NOT NULL,
    quantity integer NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (item_id, location_id)
);
CREATE TABLE IF NOT EXISTS floor_ledger (
    id bigserial PRIMARY KEY,
    item_id bigint NOT NULL,
    location_id bigint NOT NULL,
    quantity_before integer NOT NULL,
    quantity_after integer NOT NULL,
    delta integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS floor_ledger_chain ON floor_ledger (item_id, location_id, id);
"""

# A whole batch as one statement: the set-based ideal.
SET_BATCH = """
WITH input AS (
    SELECT * FROM unnest(%(items)s::bigint[], %(locations)s::bigint[], %(quantities)s::int[])
        AS t(item_id, location_id, quantity)
), locked AS (
    SELECT b.id, b.item_id, b.location_id, b.quantity FROM floor_balance b
    JOIN input i USING (item_id, location_id)
    ORDER BY b.item_id, b.location_id FOR NO KEY UPDATE OF b
), updated AS (
    UPDATE floor_balance b SET quantity = i.quantity, updated_at = now()
    FROM locked l JOIN input i USING (item_id, location_id) WHERE b.id = l.id
)
INSERT INTO floor_ledger (item_id, location_id, quantity_before, quantity_after, delta)
SELECT l.item_id, l.location_id, l.quantity, i.quantity, i.quantity - l.quantity
FROM locked l JOIN input i USING (item_id, location_id)
"""

# One relative line: lock, add, record.
ADD_ONE = """
WITH locked AS (
    SELECT id, quantity FROM floor_balance
    WHERE item_id = %(item)s AND location_id = %(location)s FOR NO KEY UPDATE
), updated AS (
    UPDATE floor_balance b SET quantity = b.quantity + %(delta)s, updated_at = now()
    FROM locked WHERE b.id = locked.id
)
INSERT INTO floor_ledger (item_id, location_id, quantity_before, quantity_after, delta)
SELECT %(item)s, %(location)s, quantity, quantity + %(delta)s, %(delta)s FROM locked
"""


def create_balances(dsn: str, item_ids: list[int], location_id: int, quantity: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(TABLES)
        connection.execute(
            "INSERT INTO floor_balance (item_id, location_id, quantity)"
            " SELECT unnest(%s::bigint[]), %s, %s ON CONFLICT DO NOTHING",
            [item_ids, location_id, quantity],
        )
