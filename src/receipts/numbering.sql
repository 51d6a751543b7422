-- Numbers that can never be handed out: those between what a restored (or
-- tampered) database still holds and the highest number this terminal is
-- known to have issued (its high-water mark). Recorded, audited and counted
-- like a voided paper receipt (作废/遗失), never issued again.
CREATE TABLE lost_numbers (
    id         INTEGER PRIMARY KEY,
    terminal   TEXT NOT NULL,
    first_seq  INTEGER NOT NULL,
    last_seq   INTEGER NOT NULL,
    reason     TEXT NOT NULL,        -- restore | missing
    at         TEXT NOT NULL,        -- RFC 3339
    user       TEXT NOT NULL,
    CHECK (first_seq >= 1 AND last_seq >= first_seq)
) STRICT;
CREATE INDEX lost_numbers_terminal ON lost_numbers(terminal, last_seq);
-- The high-water mark of receipt numbers when each backup was taken.
ALTER TABLE backups ADD COLUMN high_water INTEGER;
