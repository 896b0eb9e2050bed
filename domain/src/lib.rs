//! Pure domain of uis-megaplan: identifier newtypes, the phone number, the telephony settings
//! model (seed: «Подключение телефонии»), the domain view of a UIS call event and the rules that
//! turn an event into actions. No IO, no async, no HTTP, no SQL — see README.md.

pub mod call;
pub mod ids;
pub mod phone;
pub mod rules;
pub mod settings;

pub use call::{CallEvent, CallEventKind, CallOutcome, Direction};
pub use ids::{CallSessionId, Extension, MegaplanId, UisEmployeeId};
pub use phone::{Phone, PhoneError, Region};
pub use rules::{Action, Decision, Known, SkipReason, decide};
pub use settings::{FieldError, TelephonySettings};
