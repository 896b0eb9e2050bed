//! Integration tests: the real server on 127.0.0.1:0, a fresh database per test, real HTTP.

mod helpers;
mod skeleton;
mod pipeline;
mod pipeline_support;
