-- What the networks said of products, with when (`known` = 0: the network does not know it),
-- so that a restart does not ask again.
CREATE TABLE network_answers (
    source TEXT NOT NULL,
    product_id TEXT NOT NULL,
    known INTEGER NOT NULL,
    status TEXT,
    exact REAL,
    hot REAL,
    title TEXT,
    image_url TEXT,
    learnt_at INTEGER NOT NULL,
    PRIMARY KEY (source, product_id)
) WITHOUT ROWID;
