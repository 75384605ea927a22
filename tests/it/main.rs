//! Integration tests, one binary (each test file is a module): the real server on loopback
//! ports, local fakes of every upstream, and the data-driven suites over tests/data.
#![allow(dead_code)]

mod common;

mod api_campaign;
mod api_check;
mod api_proxies;
mod binary;
mod bodies;
mod campaign;
mod catalog;
mod cross_site;
mod fair_fetches;
mod fair_share;
mod hardening;
mod host_vectors;
mod import_memory;
mod keys;
mod layout;
mod leptos_config;
mod limiter;
mod link_properties;
mod link_vectors;
mod live_cases;
mod long_tokens;
mod networks;
mod open_platform;
mod page_codec;
mod page_reader;
mod pg_connections;
mod rates;
mod resilience;
mod resolver;
mod server_shell;
mod share_links;
mod store;
mod store_chats;
mod telegram;
mod telegram_chats;
mod telegram_watch;
mod templates;
