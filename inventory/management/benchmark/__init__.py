"""`manage.py benchmark`: Stockroom's speed measured as ratios against floors taken in the same
run on the same machine (DESIGN §9: benchmarks print ratios; they are never timed tests)."""
