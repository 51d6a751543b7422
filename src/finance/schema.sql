-- Finance capability: what the finance station records after recovery.
--
-- journal_imports: one row per terminal journal that added something (the
-- provenance of every imported record); `origin` names the installation
-- that wrote it (the hash of its first audit entry), `marks` the highest
-- source id of each table taken so far, so a second import of the same or an
-- older journal adds nothing and a newer one adds only what is new.
-- journal_map: source ids of episodes, ranges and receipts to local ids
-- (local_id NULL: a receipt number collision, not imported).
-- journal_receipts / journal_events: the content digest of each imported
-- receipt and cashier event as stored here, which `verify` checks in place
-- of the terminal's own audit entry; the import's audit entry carries a
-- digest over them.
-- journal_audit: each origin's audit chain, as exported, checked link by
-- link at import.
-- journal_collisions: numbers and ranges two installations both used.
-- his_invoices: every HIS invoice number recorded against a manual receipt
-- (exchange desk, reconciliation), unique across the hospital.
-- Every table is append-only (declared in the migration entry).

CREATE TABLE journal_imports (
    id            INTEGER PRIMARY KEY,
    origin        TEXT NOT NULL,
    terminal      TEXT NOT NULL,
    hospital      TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    file_sha256   TEXT NOT NULL,
    exported_at   TEXT NOT NULL,
    imported_at   TEXT NOT NULL,
    imported_by   TEXT NOT NULL,
    marks         TEXT NOT NULL,           -- JSON {table: highest source id}
    added         TEXT NOT NULL            -- JSON {table: rows added}
) STRICT;
CREATE INDEX journal_imports_origin ON journal_imports(origin, id);

CREATE TABLE journal_map (
    origin    TEXT NOT NULL,
    tbl       TEXT NOT NULL,
    src_id    INTEGER NOT NULL,
    local_id  INTEGER,
    PRIMARY KEY (origin, tbl, src_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE journal_receipts (
    number          TEXT PRIMARY KEY,
    import_id       INTEGER NOT NULL REFERENCES journal_imports(id),
    content_sha256  TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX journal_receipts_import ON journal_receipts(import_id);

CREATE TABLE journal_events (
    event_id      INTEGER PRIMARY KEY,
    import_id     INTEGER NOT NULL REFERENCES journal_imports(id),
    event_sha256  TEXT NOT NULL
) STRICT;
CREATE INDEX journal_events_import ON journal_events(import_id);

CREATE TABLE journal_audit (
    origin     TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    at         TEXT NOT NULL,
    terminal   TEXT NOT NULL,
    user       TEXT NOT NULL,
    action     TEXT NOT NULL,
    records    TEXT NOT NULL,
    details    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (origin, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE journal_collisions (
    id         INTEGER PRIMARY KEY,
    import_id  INTEGER NOT NULL REFERENCES journal_imports(id),
    kind       TEXT NOT NULL CHECK (kind IN ('number', 'range')),
    record     TEXT NOT NULL,
    detail     TEXT NOT NULL
) STRICT;

CREATE TABLE his_invoices (
    invoice         TEXT PRIMARY KEY,
    receipt_number  TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('exchanged', 'self_pay_posted', 'insurance_resettled')),
    event_id        INTEGER NOT NULL REFERENCES receipt_events(id)
) STRICT;
