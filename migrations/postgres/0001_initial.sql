-- Linksmith's tables on PostgreSQL: the embedded store's schema (migrations/sqlite/0001 to 0005)
-- as of version 5, in one step. Times are unix seconds.

-- The catalogue: what a network's feed says of products and stores (linksmith import).
CREATE TABLE catalog (
    kind TEXT NOT NULL CHECK (kind IN ('product', 'store')),
    id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('hot_sale', 'affiliate', 'non_affiliate', 'no_commission')),
    rate DOUBLE PRECISION CHECK (rate IS NULL OR (rate >= 0 AND rate <= 100)),
    category TEXT,
    learnt_at BIGINT NOT NULL,
    tmall BOOLEAN,
    ships_from TEXT CHECK (ships_from IS NULL OR length(ships_from) = 2),
    store_country TEXT CHECK (store_country IS NULL OR length(store_country) = 2),
    PRIMARY KEY (kind, id)
);

-- The Open Platform's answers, shared by every instance. `found` = false: the platform said
-- the product is not in the programme.
CREATE TABLE api_cache (
    product_id TEXT NOT NULL,
    country TEXT NOT NULL,
    found BOOLEAN NOT NULL,
    commission DOUBLE PRECISION,
    hot DOUBLE PRECISION,
    title TEXT,
    image_url TEXT,
    category TEXT,
    shop_id TEXT,
    tmall BOOLEAN,
    fetched_at BIGINT NOT NULL,
    PRIMARY KEY (product_id, country)
);
CREATE INDEX api_cache_fetched_at ON api_cache (fetched_at);

-- The networks' session tokens (ePN's ssid is scarce: every instance uses the kept tokens,
-- renewed by one instance at a time under an advisory lock).
CREATE TABLE tokens (
    source TEXT PRIMARY KEY,
    access TEXT NOT NULL,
    refresh TEXT NOT NULL,
    expires_at BIGINT,
    saved_at BIGINT NOT NULL
);

-- What the networks said of products, with when (`known` = false: the network does not know it).
CREATE TABLE network_answers (
    source TEXT NOT NULL,
    product_id TEXT NOT NULL,
    known BOOLEAN NOT NULL,
    status TEXT CHECK (status IS NULL OR status IN ('hot_sale', 'affiliate', 'non_affiliate', 'no_commission')),
    exact DOUBLE PRECISION,
    hot DOUBLE PRECISION,
    title TEXT,
    image_url TEXT,
    learnt_at BIGINT NOT NULL,
    PRIMARY KEY (source, product_id)
);
CREATE INDEX network_answers_learnt_at ON network_answers (learnt_at);
