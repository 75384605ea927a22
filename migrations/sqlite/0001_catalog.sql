-- The catalogue: what a network's feed says of products and stores (linksmith import).
CREATE TABLE catalog (
    kind TEXT NOT NULL CHECK (kind IN ('product', 'store')),
    id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('hot_sale', 'affiliate', 'non_affiliate', 'no_commission')),
    rate REAL CHECK (rate IS NULL OR (rate >= 0 AND rate <= 100)),
    category TEXT,
    learnt_at INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
