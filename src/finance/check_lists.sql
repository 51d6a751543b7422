-- Cheaper constraint checks on the tables a journal import and a
-- reconciliation fill row by row (no change to what is accepted).
--
-- A CHECK of the form `x IN ('a', 'b', 'c')` with more than two values
-- makes SQLite build a temporary B-tree of the list on every execution of
-- an INSERT (about 3 µs a row, measured: a third of a journal import's
-- inserts). The same test written `x = 'a' OR x = 'b' OR x = 'c'` is three
-- comparisons. The constraints are equivalent (the columns are NOT NULL
-- text), so the existing rows satisfy the new text and the table's stored
-- definition is edited in place, the procedure SQLite documents for
-- changing a CHECK constraint (lang_altertable.html, "other kinds of table
-- schema changes"); a rebuild is impossible here because other tables'
-- foreign keys point at `receipts` and foreign keys stay enforced during a
-- migration. `replace` changes nothing in a definition that does not carry
-- the exact text (that table then keeps its equivalent IN list).
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql,
         'CHECK (kind IN (''outpatient'', ''registration'', ''deposit'', ''credit_note''))',
         'CHECK (kind = ''outpatient'' OR kind = ''registration'' OR kind = ''deposit'' OR kind = ''credit_note'')')
 WHERE type = 'table' AND name = 'receipts';
UPDATE sqlite_schema
   SET sql = replace(sql,
         'CHECK (method IN (''cash'', ''card'', ''mobile''))',
         'CHECK (method = ''cash'' OR method = ''card'' OR method = ''mobile'')')
 WHERE type = 'table' AND name = 'receipt_payments';
UPDATE sqlite_schema
   SET sql = replace(sql,
         'CHECK (level IN (''I'', ''II'', ''III'', ''IV''))',
         'CHECK (level = ''I'' OR level = ''II'' OR level = ''III'' OR level = ''IV'')')
 WHERE type = 'table' AND name = 'episodes';
UPDATE sqlite_schema
   SET sql = replace(sql,
         'CHECK (kind IN (''exchanged'', ''self_pay_posted'', ''insurance_resettled''))',
         'CHECK (kind = ''exchanged'' OR kind = ''self_pay_posted'' OR kind = ''insurance_resettled'')')
 WHERE type = 'table' AND name = 'his_invoices';
-- Reparse this connection's schema; the index change below bumps the
-- schema cookie, so every other connection reparses it too.
PRAGMA writable_schema = RESET;

-- Only credit notes have an original: the index on it no longer takes a
-- NULL entry for every other receipt. Every query on it compares
-- `original_number` with `=` or asks for IS NOT NULL, which this partial
-- index serves.
DROP INDEX receipts_original;
CREATE INDEX receipts_original ON receipts(original_number) WHERE original_number IS NOT NULL;
