-- API keys (linksmith keys add|list|revoke). Only the key's SHA-256 (hex) is kept, never the key.
-- A name is unique among the keys in use; a revoked key keeps its row (and its usage).
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    links_per_second INTEGER,
    burst INTEGER,
    lookups_per_hour INTEGER,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;

-- What each key used, per UTC day (unix days): links checked and fresh look-ups spent.
CREATE TABLE api_key_usage (
    key_id INTEGER NOT NULL REFERENCES api_keys (id),
    day INTEGER NOT NULL,
    links INTEGER NOT NULL,
    lookups INTEGER NOT NULL,
    PRIMARY KEY (key_id, day)
) WITHOUT ROWID;
