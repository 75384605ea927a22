-- The Telegram bot (docs/telegram-bot.md): a chat's settings and the products it watches, with
-- the last known answer (JSON) and when it was checked (unix seconds). Never a message's text.
CREATE TABLE bot_chats (
    chat_id INTEGER PRIMARY KEY,
    template TEXT,
    sub TEXT,
    country TEXT,
    lang TEXT,
    updated_at INTEGER NOT NULL
);

CREATE TABLE bot_watches (
    chat_id INTEGER NOT NULL,
    product_id TEXT NOT NULL,
    country TEXT NOT NULL,
    link TEXT NOT NULL,
    last TEXT,
    created_at INTEGER NOT NULL,
    checked_at INTEGER NOT NULL,
    PRIMARY KEY (chat_id, product_id, country)
) WITHOUT ROWID;
CREATE INDEX bot_watches_due ON bot_watches (checked_at);
