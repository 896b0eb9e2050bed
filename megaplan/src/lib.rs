//! Megaplan API v3: a typed async client and (feature `emulator`) an emulator that behaves like Megaplan.
//!
//! Every request path and body cites its section of `shared/spec/megaplan-api.md`.

pub mod auth;
pub mod calls;
mod client;
pub mod comments;
pub mod contractors;
pub mod deals;
pub mod employees;
pub mod error;
pub mod files;
pub mod todos;
mod transport;
pub mod types;

#[cfg(feature = "emulator")]
pub mod emulator;

pub use auth::{Credentials, TokenSnapshot};
pub use calls::{CallInfo, CallInfoFields, CallRoute, CallState, CallType};
pub use client::{Client, DEFAULT_TIMEOUT};
pub use comments::Comment;
pub use contractors::{
    Contractor, ContractorKind, ContractorUpdate, ExtraField, NewContractorCompany,
    NewContractorHuman,
};
pub use deals::{Deal, DealUpdate, NewDeal, Program, ProgramState, ProgramTransition};
pub use employees::{CallUserConfig, Employee};
pub use error::{Error, Result};
pub use files::File;
pub use todos::{NewTodo, Todo, TodoCategory, TodoStatus, TodoWhen};
pub use types::{ContactInfo, DateOnly, DateTime, Id, Link, Money, Page};
