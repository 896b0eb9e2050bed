//! UIS date-times: local time of the account, no zone, `YYYY-MM-DD hh:mm:ss[.fff]` (uis-api.md §1.2, §2).

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// The format UIS expects in Data API requests.
pub const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Parses a naive UIS time; fractions and a `T` separator are optional.
pub fn parse_naive(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// Parses a UIS time as local time in `tz`; an explicit offset (RFC 3339) wins over `tz`.
pub fn parse_local(s: &str, tz: Tz) -> Option<DateTime<FixedOffset>> {
    if let Ok(aware) = DateTime::parse_from_rfc3339(s.trim()) {
        return Some(aware);
    }
    let naive = parse_naive(s)?;
    Some(localize(naive, tz))
}

/// Local → aware; for a DST gap the wall time is read as UTC offset of the zone just after.
pub fn localize(naive: NaiveDateTime, tz: Tz) -> DateTime<FixedOffset> {
    match tz.from_local_datetime(&naive).earliest() {
        Some(t) => t.fixed_offset(),
        None => tz.from_utc_datetime(&naive).fixed_offset(),
    }
}

/// Formats for a Data API request.
pub fn format(t: NaiveDateTime) -> String {
    t.format(FORMAT).to_string()
}

/// Serde for `Option<NaiveDateTime>` in report rows: lenient on read, `FORMAT` on write.
pub mod opt_naive {
    use chrono::NaiveDateTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(t) => s.serialize_str(&super::format(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
        let raw = Option::<serde_json::Value>::deserialize(d)?;
        Ok(raw
            .as_ref()
            .and_then(|v| v.as_str())
            .and_then(super::parse_naive))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_and_without_milliseconds_in_account_zone() {
        let with = parse_local("2019-12-16 14:40:47.234", chrono_tz::Europe::Moscow).unwrap();
        let without = parse_local("2019-12-16 14:40:47", chrono_tz::Europe::Moscow).unwrap();
        assert_eq!(with.to_rfc3339(), "2019-12-16T14:40:47.234+03:00");
        assert_eq!(without.to_rfc3339(), "2019-12-16T14:40:47+03:00");
        let vl = parse_local("2019-12-16 14:40:47", chrono_tz::Asia::Vladivostok).unwrap();
        assert_eq!(vl.to_rfc3339(), "2019-12-16T14:40:47+10:00");
    }
}
