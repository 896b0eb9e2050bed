//! Pure domain
