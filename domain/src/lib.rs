//! Pure domain of uis-megaplan: identifier newtypes, the phone number, the telephony settings
//! model (seed: «Подключение телефонии»), the domain view of a UIS call event and the rules that
//! turn an event into actions. No IO, no async, no HTTP, no SQL — see README.md.

pub mod call;
pub mod ids;
pub mod phone;
pub mod settings;
