"""The audit log: the hash-chained trail of every state change (trail), who acted (actors),
reading it (query), exporting it, verifying its chain, and retention."""
