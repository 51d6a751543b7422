-- Pharmacy capability: what the pharmacy handed out and took back, by
-- receipt line. Keyed by the receipt NUMBER, not a local row id: a pharmacy
-- on its own machine dispenses receipts it has never stored (it only has the
-- hospital key and the price list), and its rows travel to finance in the
-- terminal journal, where dispensings of one receipt at two pharmacy
-- terminals meet. Append-only (declared in the migration entry).

CREATE TABLE dispensings (
    id              INTEGER PRIMARY KEY,
    receipt_number  TEXT NOT NULL,          -- {TERMINAL}-{8 digits}, as signed in the QR
    line_no         INTEGER NOT NULL CHECK (line_no >= 1),   -- 1-based, as printed
    code            TEXT NOT NULL,          -- item code of that line
    qty             TEXT NOT NULL,          -- decimal text, > 0
    kind            TEXT NOT NULL CHECK (kind IN ('dispensed', 'return_confirmed')),
    terminal        TEXT NOT NULL,          -- the pharmacy terminal that recorded it
    user            TEXT NOT NULL,
    at              TEXT NOT NULL,          -- RFC 3339
    reason          TEXT                    -- returns: why (refund, insurance re-settlement)
) STRICT;
CREATE INDEX dispensings_receipt ON dispensings(receipt_number, line_no);
