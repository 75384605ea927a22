//! How the page's server functions travel: JSON both ways, the same JSON the API writes
//! (`serde_json` writes it). The browser reads it with the domain's own reader
//! ([`crate::domain::json::from_slice`]), so that the page's bundles carry no `serde_json`
//! deserializer and none of the standard library's float reading. The server reads the page's
//! arguments with `serde_json` straight into their types, within the request's bounds
//! ([`crate::server::body::server_fn_args`]): never into a tree first.

use leptos::server_fn::{codec::Post, Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::{de::DeserializeOwned, Serialize};

#[cfg(not(feature = "ssr"))]
use crate::domain::json::{from_slice, NotTheValue};

/// JSON written by `serde_json`, read by the domain's reader.
pub struct PageJsonEncoding;

impl ContentType for PageJsonEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for PageJsonEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for PageJsonEncoding {
    type Error = serde_json::Error;

    fn encode(value: &T) -> Result<Bytes, serde_json::Error> {
        serde_json::to_vec(value).map(Bytes::from)
    }
}

#[cfg(not(feature = "ssr"))]
impl<T: DeserializeOwned> Decodes<T> for PageJsonEncoding {
    type Error = NotTheValue;

    fn decode(bytes: Bytes) -> Result<T, NotTheValue> {
        from_slice(&bytes)
    }
}

/// On the server: the page's arguments, read by `serde_json` into their types within the
/// request's bounds (the batch limit, 64 KiB a string); a refusal is told to the request's guard,
/// which answers it (`server::origin::guard`).
#[cfg(feature = "ssr")]
impl<T: DeserializeOwned> Decodes<T> for PageJsonEncoding {
    type Error = crate::server::body::BodyProblem;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        crate::server::body::server_fn_args(&bytes)
    }
}

/// Arguments and answers as [`PageJsonEncoding`] in the body of a `POST`.
pub type Json = Post<PageJsonEncoding>;
