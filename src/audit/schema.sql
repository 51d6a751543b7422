-- Every state-changing operation, written in the same transaction as the
-- change. Entries form a SHA-256 hash chain: hash = SHA-256(prev_hash || the
-- entry's fields), so an edited or deleted entry breaks the chain.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    terminal   TEXT NOT NULL,
    user       TEXT NOT NULL,
    action     TEXT NOT NULL,
    records    TEXT NOT NULL,               -- JSON array of record ids
    details    TEXT NOT NULL,               -- JSON object
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE
) STRICT;
