//! The functional core: pure functions over plain data. No I/O, no async, no Leptos types.
//! Everything here compiles into the server and into the WASM bundle.

pub mod campaign;
pub mod case;
pub mod check;
pub mod codes;
pub mod country;
pub mod date;
pub mod formatted;
pub mod json;
pub mod lang;
pub mod link;
pub mod messages;
pub mod number;
pub mod overview;
pub mod post;
pub mod rates;
pub mod recent;
pub mod report;
pub mod sources;
pub mod template;
pub mod watch;
pub mod words;
