-- Receipts capability: outage episodes, receipt number ranges (the paper
-- receipt books), receipts with their lines and payments, the events that
-- happen to a receipt later, and shift closes. Every table here is
-- append-only (declared in the migration entry): a closed episode is a new
-- row in episode_closures, a void or a reprint is a new receipt_events row,
-- a refund is a new (credit-note) receipt. Status is always derived.

CREATE TABLE episodes (
    id          INTEGER PRIMARY KEY,
    terminal    TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('I', 'II', 'III', 'IV')),
    reason      TEXT NOT NULL,
    drill       INTEGER NOT NULL CHECK (drill IN (0, 1)),
    opened_at   TEXT NOT NULL,             -- RFC 3339
    opened_by   TEXT NOT NULL
) STRICT;

CREATE TABLE episode_closures (
    episode_id  INTEGER PRIMARY KEY REFERENCES episodes(id),
    closed_at   TEXT NOT NULL,
    closed_by   TEXT NOT NULL
) STRICT;

CREATE TABLE receipt_ranges (
    id          INTEGER PRIMARY KEY,
    terminal    TEXT NOT NULL,
    first_seq   INTEGER NOT NULL CHECK (first_seq >= 1),
    last_seq    INTEGER NOT NULL CHECK (last_seq >= first_seq AND last_seq <= 99999999),
    added_at    TEXT NOT NULL,
    added_by    TEXT NOT NULL
) STRICT;

CREATE TABLE receipts (
    id              INTEGER PRIMARY KEY,   -- order of issue on this database
    number          TEXT NOT NULL UNIQUE,  -- {TERMINAL}-{8 digits}
    terminal        TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    range_id        INTEGER NOT NULL REFERENCES receipt_ranges(id),
    episode_id      INTEGER NOT NULL REFERENCES episodes(id),
    drill           INTEGER NOT NULL CHECK (drill IN (0, 1)),
    kind            TEXT NOT NULL CHECK (kind IN ('outpatient', 'registration', 'deposit', 'credit_note')),
    original_number TEXT REFERENCES receipts(number),
    issued_at       TEXT NOT NULL,         -- RFC 3339
    cashier         TEXT NOT NULL,
    patient_name    TEXT NOT NULL,
    patient_json    TEXT NOT NULL,
    temp_seq        INTEGER,               -- temporary patient number series
    temp_patient_no TEXT,
    payer_type      TEXT NOT NULL CHECK (payer_type IN ('self_pay', 'insured_full_pay')),
    insurance_no    TEXT,
    department      TEXT NOT NULL,
    doctor          TEXT NOT NULL,
    snapshot_id     INTEGER,
    snapshot_month  TEXT,
    total_fen       INTEGER NOT NULL,
    change_fen      INTEGER NOT NULL,
    deadline        TEXT,                  -- YYYY-MM-DD, NULL when to be confirmed
    deadline_note   TEXT,
    reason          TEXT,                  -- credit notes: why
    supervisor      TEXT,                  -- credit notes: who approved
    qr_payload      TEXT NOT NULL,
    UNIQUE (terminal, seq),
    UNIQUE (terminal, temp_seq)
) STRICT;
CREATE INDEX receipts_cashier ON receipts(cashier, id);
CREATE INDEX receipts_original ON receipts(original_number);
CREATE INDEX receipts_episode ON receipts(episode_id);

CREATE TABLE receipt_lines (
    receipt_id  INTEGER NOT NULL REFERENCES receipts(id),
    line_no     INTEGER NOT NULL,          -- 1-based, as printed
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    spec        TEXT NOT NULL,
    unit        TEXT NOT NULL,
    unit_price  TEXT NOT NULL,             -- as the price list gave it
    qty         TEXT NOT NULL,             -- decimal text; negative on credit notes
    amount_fen  INTEGER NOT NULL,          -- negative on credit notes
    category    TEXT NOT NULL,
    refers_line INTEGER,                   -- credit notes: the original's line
    PRIMARY KEY (receipt_id, line_no)
) STRICT, WITHOUT ROWID;

CREATE TABLE receipt_payments (
    receipt_id   INTEGER NOT NULL REFERENCES receipts(id),
    pay_no       INTEGER NOT NULL,
    method       TEXT NOT NULL CHECK (method IN ('cash', 'card', 'mobile')),
    amount_fen   INTEGER NOT NULL,
    tendered_fen INTEGER,
    reference    TEXT,
    PRIMARY KEY (receipt_id, pay_no)
) STRICT, WITHOUT ROWID;

-- void, reprint, refund (on the original, naming the credit note), and the
-- pharmacy's dispensed / return_confirmed (by line), exchanged, posted …
CREATE TABLE receipt_events (
    id          INTEGER PRIMARY KEY,
    receipt_id  INTEGER NOT NULL REFERENCES receipts(id),
    kind        TEXT NOT NULL,
    line_no     INTEGER,
    qty         TEXT,
    at          TEXT NOT NULL,
    user        TEXT NOT NULL,
    supervisor  TEXT,
    reason      TEXT,
    details     TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX receipt_events_receipt ON receipt_events(receipt_id, kind);

CREATE TABLE shift_closes (
    id                 INTEGER PRIMARY KEY,
    terminal           TEXT NOT NULL,
    cashier            TEXT NOT NULL,
    closed_at          TEXT NOT NULL,
    upto_receipt_id    INTEGER NOT NULL,   -- receipts with a higher id belong to a later shift
    upto_event_id      INTEGER NOT NULL,
    summary_json       TEXT NOT NULL,
    cash_expected_fen  INTEGER NOT NULL,
    cash_declared_fen  INTEGER,
    variance_fen       INTEGER,
    supervisor         TEXT,
    pdf_path           TEXT
) STRICT;
CREATE INDEX shift_closes_cashier ON shift_closes(cashier, id);
