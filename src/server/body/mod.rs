//! Request bodies, bounded before they become anything (check-api.md, "Clients and fair use": "A
//! request body is refused (413 or 400 with a sentence) before it is turned into more than the
//! batch limit of links or more than 64 KiB of one link; no body is parsed whole into a tree
//! first").
//!
//! - [`buffer`]: every body is read whole before a handler sees it, at most [`MAX_BODY_BYTES`]
//!   (413 at once when its length says more), and a body over [`SMALL_BODY_BYTES`] first waits for
//!   its share of [`BODY_BUDGET_BYTES`], the bytes all such bodies together may hold at once: many
//!   large bodies at once wait in turn instead of taking the memory.
//! - [`from_slice`]: JSON read by `serde_json` straight into the typed request (never a tree),
//!   through a deserializer that stops a list at its bound plus one and refuses a string over its
//!   bound before the string is made.

mod bounded;
use crate::{domain::words::say, server::words};
use bounded::Bounded;

use std::{
    cell::Cell,
    collections::HashMap,
    fmt,
    sync::{Arc, Mutex, PoisonError},
};

use axum::{
    body::Body,
    extract::{ConnectInfo, Request, State},
    http::{header, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use futures::StreamExt;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, Visitor};
use tokio::sync::Semaphore;

use super::{
    error::{lang_of, ApiError, MAX_BODY_BYTES},
    limit::Client,
    AppState,
};
use crate::domain::{codes::ErrorCode, lang::Lang};

/// The longest string a request may hold: one link is at most 4 KiB, a paste is sent as its links.
pub const MAX_STRING_BYTES: usize = 64 * 1024;

/// Bodies at most this long are read without waiting for the budget (one link, a page's chunk of
/// links): their memory is bounded by the connections a client may hold.
pub const SMALL_BODY_BYTES: usize = 64 * 1024;

/// The bytes the bodies over [`SMALL_BODY_BYTES`] may hold at once, all requests together (four
/// bodies of the largest size, or 160 pages' checks of 1,000 links). The allocator keeps about as
/// much again while they come and go (docs/PERFORMANCE.md: 64 bodies of 4 MiB at once grow the
/// server by about 35 MiB).
pub const BODY_BUDGET_BYTES: usize = 16 * 1024 * 1024;

/// What one list and one string of a request may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Items one list may hold.
    pub max_items: usize,
    /// Bytes one string may hold.
    pub max_string: usize,
    /// What a list holds, for the refusal's code and sentence.
    pub items: Items,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Items {
    /// Links: `too_many_links`.
    Links,
    /// A campaign's keywords: `too_long`.
    Keywords,
}

impl Bounds {
    /// A check's request: at most `max_batch` links, 64 KiB a string.
    pub fn links(max_batch: usize) -> Bounds {
        Bounds {
            max_items: max_batch,
            max_string: MAX_STRING_BYTES,
            items: Items::Links,
        }
    }
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds::links(super::config::DEFAULT_MAX_BATCH)
    }
}

/// Why a body was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyProblem {
    /// Not JSON, or not the fields expected: `serde_json`'s words.
    Malformed { syntax: bool, detail: String },
    /// A list holds more than its bound.
    TooManyItems { max: usize, items: Items },
    /// A string is longer than its bound (`len` bytes at least).
    TooLong { max: usize, len: usize },
}

impl fmt::Display for BodyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.api_error(Lang::En).problem.message)
    }
}

impl std::error::Error for BodyProblem {}

impl BodyProblem {
    /// A bound overstepped (413), as opposed to a body that is not what was expected (400).
    pub fn is_bound(&self) -> bool {
        !matches!(self, BodyProblem::Malformed { .. })
    }

    /// The refusal, with its sentence in `lang`.
    pub fn api_error(&self, lang: Lang) -> ApiError {
        let w = &words::of(lang).request;
        match self {
            BodyProblem::Malformed {
                syntax: true,
                detail,
            } => ApiError::invalid_request(say!(w.not_json_syntax, detail)),
            BodyProblem::Malformed {
                syntax: false,
                detail,
            } => ApiError::invalid_request(say!(w.wrong_fields, detail)),
            BodyProblem::TooManyItems {
                max,
                items: Items::Links,
            } => {
                let at_least = max + 1;
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorCode::TooManyLinks,
                    say!(w.too_many_links, at_least, max),
                )
            }
            BodyProblem::TooManyItems {
                max,
                items: Items::Keywords,
            } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::TooLong,
                say!(w.too_many_keywords, max),
            ),
            BodyProblem::TooLong { max, len } => {
                let kib = max / 1024;
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorCode::TooLong,
                    say!(w.text_too_long, len, kib, max),
                )
            }
        }
    }
}

/// Reads JSON into `T` within `bounds`: straight into its types (no tree), a list stopped at its
/// bound plus one, a string over its bound refused before it is made.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8], bounds: Bounds) -> Result<T, BodyProblem> {
    let hit = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let read = T::deserialize(Bounded {
        inner: &mut de,
        bounds,
        hit: &hit,
    })
    .and_then(|value| de.end().map(|()| value));
    if let Some(problem) = hit.take() {
        return Err(problem);
    }
    read.map_err(|e| BodyProblem::Malformed {
        syntax: matches!(
            e.classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        ),
        detail: e.to_string(),
    })
}

/// Where a server function's argument decoder says what it refused, for [`super::origin::guard`]
/// to answer with (the decoder runs inside Leptos, which would answer any refusal with a 500).
#[derive(Debug, Clone, Default)]
pub struct DecodeReport(Arc<Mutex<Option<BodyProblem>>>);

impl DecodeReport {
    pub fn set(&self, problem: BodyProblem) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(problem);
    }

    pub fn take(&self) -> Option<BodyProblem> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// Reads a server function's arguments (the page's JSON) within the bounds the guard gave its
/// request (the batch limit; the defaults outside a request), and reports a refusal to the guard.
pub fn server_fn_args<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyProblem> {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>();
    let bounds = parts
        .as_ref()
        .and_then(|p| p.extensions.get::<Bounds>().copied())
        .unwrap_or_default();
    let read = from_slice(bytes, bounds);
    if let (Err(problem), Some(report)) = (
        &read,
        parts
            .as_ref()
            .and_then(|p| p.extensions.get::<DecodeReport>()),
    ) {
        report.set(problem.clone());
    }
    read
}

/// The bytes large bodies may hold at once, and each client's part of them.
#[derive(Clone)]
pub struct BodyBudget {
    bytes: Arc<Semaphore>,
    /// Each client's part, while it has a large body held or waiting.
    clients: Arc<Mutex<HashMap<Client, ClientPart>>>,
    share: usize,
    state: AppState,
}

/// A client's part of the budget and how many of its requests hold it or wait for it.
struct ClientPart {
    bytes: Arc<Semaphore>,
    requests: usize,
}

impl BodyBudget {
    /// `bytes` in all, a quarter of them for one client (the client a request is counted as:
    /// its address, or the one a trusted proxy names); each at least one body of the largest size.
    pub fn new(bytes: usize, state: AppState) -> BodyBudget {
        BodyBudget {
            bytes: Arc::new(Semaphore::new(bytes.max(MAX_BODY_BYTES))),
            clients: Arc::default(),
            share: (bytes / 4).max(MAX_BODY_BYTES),
            state,
        }
    }

    /// The part of `client`, counted as used by one more request until the ticket is dropped.
    fn part_of(&self, client: Client) -> PartTicket {
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        let part = clients.entry(client).or_insert_with(|| ClientPart {
            bytes: Arc::new(Semaphore::new(self.share)),
            requests: 0,
        });
        part.requests += 1;
        PartTicket {
            bytes: part.bytes.clone(),
            clients: self.clients.clone(),
            client,
        }
    }
}

/// One request's use of its client's part; the part is forgotten when no request uses it.
struct PartTicket {
    bytes: Arc<Semaphore>,
    clients: Arc<Mutex<HashMap<Client, ClientPart>>>,
    client: Client,
}

impl Drop for PartTicket {
    fn drop(&mut self) {
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(part) = clients.get_mut(&self.client) {
            part.requests -= 1;
            if part.requests == 0 {
                clients.remove(&self.client);
            }
        }
    }
}

/// Reads every request's body whole (at most [`MAX_BODY_BYTES`]; 413 at once when its length
/// says more), a large one only once the budget has room for it, and hands the handler the bytes.
/// The body's share of the budget is held until the handler has answered (what it decoded lives
/// that long). One client holds at most a quarter of the budget; its other large bodies wait for
/// its own earlier ones, outside the server's queue, so that bodies sent slowly from one address
/// cannot keep everyone else's waiting: the bytes are given in turn (first come, first served) and
/// a request holds them at most the request's time.
pub async fn buffer(State(budget): State<BodyBudget>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let chunked = req.headers().contains_key(header::TRANSFER_ENCODING);
    if declared.is_none_or(|n| n == 0) && !chunked {
        return next.run(req).await;
    }
    let lang = lang_of(req.headers());
    let too_large = || ApiError::body_too_large(lang).into_response();
    // Without a length (chunked), the most a body may be.
    let size = match declared {
        Some(n) if !chunked => match usize::try_from(n) {
            Ok(n) if n <= MAX_BODY_BYTES => n,
            _ => return too_large(),
        },
        _ => MAX_BODY_BYTES,
    };
    let _held = if size > SMALL_BODY_BYTES {
        let peer = req
            .extensions()
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0);
        let ticket = budget.part_of(budget.state.client_of(peer, req.headers()));
        let Ok(permits) = u32::try_from(size) else {
            return too_large();
        };
        // First the client's own part (its bodies in turn), then the server's: a client's waiting
        // bodies never stand in the server's queue, ahead of other clients'.
        let (Ok(own), Ok(all)) = (
            ticket.bytes.clone().acquire_many_owned(permits).await,
            budget.bytes.clone().acquire_many_owned(permits).await,
        ) else {
            return ApiError::internal("The server is stopping.").into_response();
        };
        Some((all, own, ticket))
    } else {
        None
    };
    let (parts, body) = req.into_parts();
    let mut data = body.into_data_stream();
    let mut bytes: Vec<u8> = Vec::with_capacity(size);
    while let Some(chunk) = data.next().await {
        let Ok(chunk) = chunk else {
            let message = words::of(lang).request.body_cut;
            return ApiError::invalid_request(message).into_response();
        };
        if bytes.len() + chunk.len() > MAX_BODY_BYTES {
            return too_large();
        }
        bytes.extend_from_slice(&chunk);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests;
