-- Holiday calendars (calendar capability). One official schedule per year,
-- imported by an admin (the 2026 one at setup). Both tables are append-only:
-- a corrected schedule for a year already held is a newer import for that
-- year (`replaces` names the one it supersedes), and the newest import of a
-- year is the one in force, so the history of what deadlines were computed
-- from is never lost.
CREATE TABLE calendar_imports (
    id           INTEGER PRIMARY KEY,
    year         INTEGER NOT NULL,
    source       TEXT NOT NULL,              -- the notice the schedule comes from
    file_name    TEXT NOT NULL,
    sha256       TEXT NOT NULL,              -- of the canonical form (order-independent)
    imported_by  TEXT NOT NULL,
    imported_at  TEXT NOT NULL,              -- RFC 3339
    replaces     INTEGER REFERENCES calendar_imports(id)
) STRICT;

CREATE INDEX calendar_imports_year ON calendar_imports(year, id);

CREATE TABLE calendar_entries (
    import_id  INTEGER NOT NULL REFERENCES calendar_imports(id),
    seq        INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name       TEXT NOT NULL,
    from_date  TEXT NOT NULL,                -- YYYY-MM-DD
    to_date    TEXT NOT NULL,                -- YYYY-MM-DD; equal to from_date for a workday
    PRIMARY KEY (import_id, seq)
) STRICT, WITHOUT ROWID;
