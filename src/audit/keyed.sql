-- The audit chain keyed (issue 10): each entry also carries
-- mac = HMAC-SHA256(chain key, previous mac (or, before the first keyed
-- entry, the previous plain hash) || seq || hash), the chain key derived
-- from the hospital signing key. Anyone can recompute the plain SHA-256
-- chain after an edit; only a holder of the key can recompute the macs.
-- Entries written before this migration keep their plain hashes (still
-- checked as before); the chain is keyed from the next entry on.
ALTER TABLE audit_log ADD COLUMN mac TEXT;
