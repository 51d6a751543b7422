-- Monthly price-list snapshots, immutable once imported.
CREATE TABLE price_snapshots (
    id           INTEGER PRIMARY KEY,
    month        TEXT NOT NULL UNIQUE,      -- YYYY-MM
    file_name    TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    imported_by  TEXT NOT NULL,
    imported_at  TEXT NOT NULL,             -- RFC 3339
    item_count   INTEGER NOT NULL
) STRICT;

CREATE TABLE price_items (
    snapshot_id      INTEGER NOT NULL REFERENCES price_snapshots(id),
    row_no           INTEGER NOT NULL,      -- row in the source file
    code             TEXT NOT NULL,
    name             TEXT NOT NULL,
    pinyin           TEXT NOT NULL,         -- initials, every reading, space-separated
    spec             TEXT NOT NULL,
    unit             TEXT NOT NULL,
    unit_price       TEXT NOT NULL,         -- decimal text, up to 4 places, never REAL
    category         TEXT NOT NULL,
    insurance_class  TEXT NOT NULL,
    barcode          TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, code)
) STRICT, WITHOUT ROWID;
