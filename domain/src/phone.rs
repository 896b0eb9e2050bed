//! `Phone`: one normalised form (E.164) for every way a number is written, so one number is one
//! client (T5). Parsing follows libphonenumber rules through the `phonenumber` crate.

use std::fmt;
use std::str::FromStr;

use phonenumber::Mode;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A region for numbers written without a country code (`8 950 …`). Re-exported so callers
/// need not depend on `phonenumber`.
pub use phonenumber::country::Id as Region;

/// The region used when nothing else is configured (ARCHITECTURE.md: default region RU).
pub const DEFAULT_REGION: Region = Region::RU;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("Номер телефона не указан")]
    Empty,
    #[error("«{0}» не похоже на номер телефона")]
    Invalid(String),
}

/// A valid phone number in E.164 (`+79508418541`). Equality, ordering and hashing are by E.164.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

impl Phone {
    /// Parses a number as people and systems write it: `79508418541` (UIS), `+7 (950) 841-85-41`,
    /// `8 950 841 85 41` (national with trunk prefix). Digits-only input that is not a number of
    /// `default_region` is retried as international without `+` — UIS sends foreign numbers so.
    pub fn parse(raw: &str, default_region: Region) -> Result<Phone, PhoneError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        // Letters are never part of a number here (vanity numbers are not used in RU telephony).
        if trimmed.chars().any(char::is_alphabetic) {
            return Err(PhoneError::Invalid(raw.to_owned()));
        }
        let valid = |s: &str, region: Option<Region>| {
            phonenumber::parse(region, s)
                .ok()
                .filter(phonenumber::is_valid)
                .map(|n| Phone(n.format().mode(Mode::E164).to_string()))
        };
        if let Some(p) = valid(trimmed, Some(default_region)) {
            return Ok(p);
        }
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        let only_formatting = trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || " ()-.".contains(c));
        if only_formatting
            && !digits.is_empty()
            && let Some(p) = valid(&format!("+{digits}"), None)
        {
            return Ok(p);
        }
        Err(PhoneError::Invalid(raw.to_owned()))
    }

    /// `+79508418541`
    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// `79508418541` — E.164 without the plus, as UIS sends and expects numbers.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    /// `+7 950 841-85-41` — for titles and texts people read.
    pub fn international(&self) -> String {
        phonenumber::parse(None, &self.0)
            .map(|n| n.format().mode(Mode::International).to_string())
            .unwrap_or_else(|_| self.0.clone())
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Phone {
    type Err = PhoneError;
    /// Parses with [`DEFAULT_REGION`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phone::parse(s, DEFAULT_REGION)
    }
}

/// Stored as its E.164 string.
impl Serialize for Phone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Read back with [`DEFAULT_REGION`] (stored values are E.164, so the region rarely matters).
impl<'de> Deserialize<'de> for Phone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Phone::parse(&raw, DEFAULT_REGION).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ru(raw: &str) -> Result<Phone, PhoneError> {
        Phone::parse(raw, Region::RU)
    }

    #[test]
    fn every_way_of_writing_one_number_gives_one_phone() {
        for raw in [
            "79508418541",
            "+7 (950) 841-85-41",
            "8 950 841 85 41",
            "89508418541",
            "+79508418541",
            " 9508418541 ",
        ] {
            let p = ru(raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
            assert_eq!(p.as_e164(), "+79508418541", "{raw:?}");
            assert_eq!(p.digits(), "79508418541", "{raw:?}");
        }
    }

    #[test]
    fn moscow_landline_from_uis_virtual_number() {
        let p = ru("74993720692").unwrap();
        assert_eq!(p.as_e164(), "+74993720692");
        assert_eq!(p, ru("8 (499) 372-06-92").unwrap());
    }

    #[test]
    fn foreign_number_sent_by_uis_without_plus() {
        let p = ru("998903173406").unwrap();
        assert_eq!(p.as_e164(), "+998903173406");
        assert_eq!(p.digits(), "998903173406");
    }

    #[test]
    fn garbage_is_rejected() {
        assert_eq!(ru(""), Err(PhoneError::Empty));
        assert_eq!(ru("   "), Err(PhoneError::Empty));
        for raw in [
            "garbage",
            "{{contact_phone_number}}",
            "null",
            "12345",
            "101",
            "+7 950",
            "7950841854199999",
            "+0 000 000",
            "8-800-FLOWERS",
        ] {
            assert!(ru(raw).is_err(), "{raw:?} accepted as {:?}", ru(raw));
        }
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(
            ru("79508418541").unwrap().international(),
            "+7 950 841-85-41"
        );
        assert_eq!(ru("79508418541").unwrap().to_string(), "+79508418541");
    }

    #[test]
    fn serde_is_e164_and_validates() {
        let p = ru("8 950 841 85 41").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"+79508418541\"");
        let back: Phone = serde_json::from_str("\"79508418541\"").unwrap();
        assert_eq!(back, p);
        assert!(serde_json::from_str::<Phone>("\"garbage\"").is_err());
    }
}
