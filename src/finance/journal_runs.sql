-- Cheaper provenance rows for journal imports (no change to what is
-- accepted or checked).
--
-- journal_map: a row may now stand for a run of `n` receipts whose source
-- ids and local ids both follow each other (`src_id .. src_id + n` imported
-- as `local_id .. local_id + n`): an import writes one row per run instead
-- of one per receipt. Every existing row is a run of one.
ALTER TABLE journal_map ADD COLUMN n INTEGER NOT NULL DEFAULT 1 CHECK (n >= 1);

-- journal_receipt_digests: the content digest of each imported receipt as
-- stored here, keyed by its local id (rows are appended in id order, one
-- B-tree, the digest as 32 bytes). Imports before this migration keep
-- theirs in journal_receipts (by number); `verify` reads both.
CREATE TABLE journal_receipt_digests (
    receipt_id  INTEGER PRIMARY KEY,
    import_id   INTEGER NOT NULL,
    number      TEXT NOT NULL,
    sha256      BLOB NOT NULL CHECK (length(sha256) = 32)
) STRICT;
