//! One file per page.

pub mod campaign;
pub mod check;
pub mod not_found;
pub mod rates;
