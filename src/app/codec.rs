//! How the page's server functions travel: JSON both ways, the same JSON the API writes
//! (`serde_json` writes it), read on both sides by the domain's own reader
//! ([`crate::domain::json::from_slice`]), so that the page's bundles carry no `serde_json`
//! deserializer and none of the standard library's float reading.

use leptos::server_fn::{codec::Post, Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::{de::DeserializeOwned, Serialize};

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

impl<T: DeserializeOwned> Decodes<T> for PageJsonEncoding {
    type Error = NotTheValue;

    fn decode(bytes: Bytes) -> Result<T, NotTheValue> {
        from_slice(&bytes)
    }
}

/// Arguments and answers as [`PageJsonEncoding`] in the body of a `POST`.
pub type Json = Post<PageJsonEncoding>;
