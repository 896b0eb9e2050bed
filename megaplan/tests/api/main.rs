//! The Megaplan client against the emulator, over real HTTP on loopback.
#![cfg(feature = "emulator")]

mod auth;
mod calls;
mod contractors;
mod deals;
mod employees;
mod errors;
mod files;
mod helpers;
mod todos;
mod validation;
mod webhooks;
