"""Reads on PostgreSQL streaming replicas, with read-your-writes.

Optional: without `DATABASE_REPLICA_URL` none of this is installed. With it:
- `config` turns the setting into database aliases `replica_1..n` (settings.py uses it);
- `views` names the pages and API reads that may be served by a replica (the one allow-list);
- `middleware` opts a request in, and after a write remembers the primary's WAL position for
  that client (`positions`);
- `router` sends the opted-in reads to a replica that `health` found alive, not lagging past
  the bound and replayed past that client's last write; everything else to the primary.

The scheme is GitLab's database load balancer's: sticky WAL positions per client, one check
of `pg_last_wal_replay_lsn()` per replica per request, a replica that fails to answer left out
for a few seconds."""
