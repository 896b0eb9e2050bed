//! Identifier newtypes: parsed once at the edge, never confused with each other afterwards.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// Why a raw value is not an identifier. Messages are shown to admins, hence Russian.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{what}: пустое значение")]
    Empty { what: &'static str },
    #[error("{what}: «{raw}» — ожидается положительное целое число")]
    NotPositiveInteger { what: &'static str, raw: String },
    #[error("{what}: «{raw}» — недопустимые символы")]
    BadCharacters { what: &'static str, raw: String },
    #[error("{what}: «{raw}» — слишком длинное значение")]
    TooLong { what: &'static str, raw: String },
}

fn positive_i64(raw: &str, what: &'static str) -> Result<i64, IdError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(IdError::Empty { what });
    }
    match s.parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(IdError::NotPositiveInteger {
            what,
            raw: raw.to_owned(),
        }),
    }
}

macro_rules! int_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// Parses a positive integer (surrounding spaces allowed).
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                positive_i64(raw, $what).map(Self)
            }

            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

int_id!(
    /// UIS `call_session_id`: the primary key of a call (uis-api.md §1.2), also Megaplan `CallInfo.providerId`.
    CallSessionId,
    "Идентификатор звонка UIS"
);
int_id!(
    /// UIS `employee_id`.
    UisEmployeeId,
    "Идентификатор сотрудника UIS"
);

/// A Megaplan entity id (employee, client, program, …). Megaplan v3 sends ids as strings (`"1000003"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct MegaplanId(String);

impl MegaplanId {
    /// Non-empty, at most 64 characters of `[A-Za-z0-9_-]` after trimming.
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        const WHAT: &str = "Идентификатор Megaplan";
        let s = raw.trim();
        if s.is_empty() {
            return Err(IdError::Empty { what: WHAT });
        }
        if s.len() > 64 {
            return Err(IdError::TooLong {
                what: WHAT,
                raw: raw.to_owned(),
            });
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(IdError::BadCharacters {
                what: WHAT,
                raw: raw.to_owned(),
            });
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An internal number of the UIS virtual PBX (`extension_phone_number`), equal to Megaplan
/// `callUserConfig.internalNumber` when the admin did seed step 2.1.b.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Extension(String);

impl Extension {
    /// 1–16 digits after trimming.
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        const WHAT: &str = "Внутренний номер";
        let s = raw.trim();
        if s.is_empty() {
            return Err(IdError::Empty { what: WHAT });
        }
        if s.len() > 16 {
            return Err(IdError::TooLong {
                what: WHAT,
                raw: raw.to_owned(),
            });
        }
        if !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(IdError::BadCharacters {
                what: WHAT,
                raw: raw.to_owned(),
            });
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_id_impls {
    ($name:ident) => {
        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// Deserialising validates: stored settings cannot smuggle in a malformed id.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_id_impls!(MegaplanId);
string_id_impls!(Extension);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_session_id_parses_positive_integers_only() {
        assert_eq!(
            CallSessionId::parse(" 998677427 "),
            Ok(CallSessionId(998677427))
        );
        for bad in ["", "  ", "0", "-5", "12a", "1.5", "{{call_session_id}}"] {
            assert!(CallSessionId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn uis_employee_id_parses_and_displays() {
        let id: UisEmployeeId = "323409".parse().unwrap();
        assert_eq!(id.get(), 323409);
        assert_eq!(id.to_string(), "323409");
        assert!(UisEmployeeId::parse("null").is_err());
    }

    #[test]
    fn megaplan_id_is_a_trimmed_token() {
        assert_eq!(MegaplanId::parse(" 1000003 ").unwrap().as_str(), "1000003");
        assert!(MegaplanId::parse("").is_err());
        assert!(MegaplanId::parse("10 03").is_err());
        assert!(MegaplanId::parse("1\"}").is_err());
        assert!(MegaplanId::parse(&"1".repeat(65)).is_err());
    }

    #[test]
    fn extension_is_digits() {
        assert_eq!(Extension::parse("101").unwrap().to_string(), "101");
        assert!(Extension::parse("").is_err());
        assert!(Extension::parse("10a").is_err());
        assert!(Extension::parse("+7101").is_err());
    }

    #[test]
    fn ids_round_trip_through_json_and_reject_garbage() {
        let id = MegaplanId::parse("1000003").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"1000003\"");
        assert_eq!(serde_json::from_str::<MegaplanId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<MegaplanId>("\"\"").is_err());
        assert!(serde_json::from_str::<Extension>("\"abc\"").is_err());
        assert_eq!(
            serde_json::from_str::<CallSessionId>("998677427").unwrap(),
            CallSessionId(998677427)
        );
    }
}
