-- The networks' session tokens (ePN's ssid is scarce: a restart reuses the kept tokens).
CREATE TABLE tokens (
    source TEXT PRIMARY KEY,
    access TEXT NOT NULL,
    refresh TEXT NOT NULL,
    expires_at INTEGER,
    saved_at INTEGER NOT NULL
) WITHOUT ROWID;
