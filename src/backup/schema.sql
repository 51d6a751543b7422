-- Every backup this terminal took: where, when, why, its size and SHA-256,
-- and (for backups taken every N receipts) how many receipts had been
-- issued, so the next automatic backup knows when it is due. A backup is a
-- fact: append-only.
CREATE TABLE backups (
    id             INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,             -- RFC 3339
    file           TEXT NOT NULL,
    reason         TEXT NOT NULL,             -- manual, shift_close, exit, receipts
    bytes          INTEGER NOT NULL,
    sha256         TEXT NOT NULL,
    audit_entries  INTEGER NOT NULL,          -- audit entries the backup holds
    receipts_seen  INTEGER                    -- receipts issued when taken, when known
) STRICT;
