-- What a network knows beside the status (the terms' Tmall-from-Russia and Russian-store
-- rules need it): whether the item is Tmall's, where it ships from, the seller's country.
ALTER TABLE catalog ADD COLUMN tmall INTEGER CHECK (tmall IS NULL OR tmall IN (0, 1));
ALTER TABLE catalog ADD COLUMN ships_from TEXT CHECK (ships_from IS NULL OR length(ships_from) = 2);
ALTER TABLE catalog ADD COLUMN store_country TEXT CHECK (store_country IS NULL OR length(store_country) = 2);
ALTER TABLE api_cache ADD COLUMN tmall INTEGER;
