-- Terminal-wide settings: terminal code, hospital name, printer layout and
-- command, backup folder and policy. Changes are audited by their callers.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
