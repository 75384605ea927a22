-- API keys (linksmith keys add|list|revoke), as migrations/sqlite/0006. Only the key's SHA-256
-- (hex) is kept, never the key. A name is unique among the keys in use; a revoked key keeps its
-- row (and its usage). Times are unix seconds, days unix days (UTC).
CREATE TABLE api_keys (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    links_per_second BIGINT CHECK (links_per_second IS NULL OR links_per_second > 0),
    burst BIGINT CHECK (burst IS NULL OR burst > 0),
    lookups_per_hour BIGINT CHECK (lookups_per_hour IS NULL OR lookups_per_hour > 0),
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;

CREATE TABLE api_key_usage (
    key_id BIGINT NOT NULL REFERENCES api_keys (id),
    day BIGINT NOT NULL,
    links BIGINT NOT NULL,
    lookups BIGINT NOT NULL,
    PRIMARY KEY (key_id, day)
);
