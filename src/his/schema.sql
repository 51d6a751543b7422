-- HIS posting: what was sent to (or written for) the hospital information
-- system, when, by whom, and what came back. Both tables are append-only:
-- a batch row is written when a send or an export starts, one posting row
-- per receipt as each answer arrives. Whether a receipt is posted is derived
-- (an `accepted` row on that channel); nothing is ever updated.

CREATE TABLE his_batches (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL CHECK (channel IN ('csv', 'json', 'hl7', 'fhir')),
    target      TEXT NOT NULL,             -- file path, HOST:PORT or FHIR base URL
    selection   TEXT NOT NULL,             -- JSON: episode, overdue_self_pay
    receipts    INTEGER NOT NULL,          -- how many receipts the batch carried
    started_at  TEXT NOT NULL,             -- RFC 3339
    user        TEXT NOT NULL,
    terminal    TEXT NOT NULL
) STRICT;

CREATE TABLE his_postings (
    id              INTEGER PRIMARY KEY,
    batch_id        INTEGER NOT NULL REFERENCES his_batches(id),
    receipt_number  TEXT NOT NULL,
    message_id      TEXT NOT NULL,         -- MSH-10 / the receipt's business identifier
    outcome         TEXT NOT NULL CHECK (outcome IN ('accepted', 'refused', 'error')),
    code            TEXT NOT NULL,         -- AA / AE / AR, HTTP status, or 'io'
    detail          TEXT NOT NULL,         -- the receiving system's text
    at              TEXT NOT NULL
) STRICT;
CREATE INDEX his_postings_receipt ON his_postings(receipt_number, outcome);
CREATE INDEX his_postings_batch ON his_postings(batch_id);
