//! UIS (uiscom.ru) side of uis-megaplan: notification parsing, Data API and Call API clients,
//! and (feature `emulator`) an in-process UIS that drives real call flows. Protocol: uis-api.md.

mod client;
mod error;
pub mod notification;
pub mod rpc;
pub mod time;

pub use client::RetryPolicy;
pub use error::{Error, Result};
pub use rpc::{Limits, Mnemonic};
