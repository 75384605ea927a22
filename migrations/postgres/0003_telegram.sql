-- The Telegram bot (docs/telegram-bot.md), as migrations/sqlite/0007: a chat's settings and the
-- products it watches, with the last known answer (JSON) and when it was checked (unix seconds).
-- Never a message's text.
CREATE TABLE bot_chats (
    chat_id BIGINT PRIMARY KEY,
    template TEXT,
    sub TEXT,
    country TEXT CHECK (country IS NULL OR country ~ '^[A-Z]{2}$'),
    lang TEXT CHECK (lang IS NULL OR lang IN ('en', 'ru')),
    updated_at BIGINT NOT NULL
);

CREATE TABLE bot_watches (
    chat_id BIGINT NOT NULL,
    product_id TEXT NOT NULL,
    country TEXT NOT NULL,
    link TEXT NOT NULL,
    last TEXT,
    created_at BIGINT NOT NULL,
    checked_at BIGINT NOT NULL,
    PRIMARY KEY (chat_id, product_id, country)
);
CREATE INDEX bot_watches_due ON bot_watches (checked_at);
