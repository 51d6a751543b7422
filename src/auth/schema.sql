-- Users of this terminal. A user row changes (PIN reset, roles, lock-out
-- counters), so it is not append-only; every change is written to the audit
-- log in the same transaction.
CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    roles         TEXT NOT NULL,            -- comma-separated: cashier,pharmacist,finance,admin
    pin_hash      TEXT NOT NULL,            -- argon2id PHC string
    disabled      INTEGER NOT NULL DEFAULT 0,
    failed_pins   INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,                     -- RFC 3339, NULL when not locked
    created_at    TEXT NOT NULL
) STRICT;
