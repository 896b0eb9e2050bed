//! Integration tests: the real server on 127.0.0.1:0, a fresh database per test, real HTTP.

mod auth;
mod cli;
mod credentials;
mod helpers;
mod observe;
mod pipeline;
mod pipeline_support;
mod signed_in;
mod skeleton;
mod telephony_calls;
mod telephony_calls_e2e;
mod telephony_routing;
mod telephony_settings;
mod telephony_support;
mod telephony_sync;
