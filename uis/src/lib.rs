//! UIS (uiscom.ru) side of uis-megaplan: notification parsing, Data API and Call API clients,
//! and (feature `emulator`) an in-process UIS that drives real call flows. Protocol: uis-api.md.

pub mod call_api;
mod client;
pub mod data_api;
#[cfg(feature = "emulator")]
pub mod emulator;
mod error;
pub mod notification;
pub mod routing;
pub mod rpc;
pub mod time;

pub use call_api::CallApiClient;
pub use client::RetryPolicy;
pub use data_api::DataApiClient;
pub use error::{Error, Result};
pub use rpc::{Limits, Mnemonic};
