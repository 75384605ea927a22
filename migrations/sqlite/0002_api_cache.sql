-- The Open Platform's answers, so that a restart does not forget them. `found` = 0: the
-- platform said the product is not in the programme.
CREATE TABLE api_cache (
    product_id TEXT NOT NULL,
    country TEXT NOT NULL,
    found INTEGER NOT NULL,
    commission REAL,
    hot REAL,
    title TEXT,
    image_url TEXT,
    category TEXT,
    shop_id TEXT,
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (product_id, country)
) WITHOUT ROWID;
