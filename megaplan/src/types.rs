//! Value types of the v3 typed JSON (megaplan-api.md §0 "Typed JSON", "Value types").

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Value, json};

/// An entity id. Megaplan answers strings; requests may carry ints (§0), so both are read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub String);

impl Id {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Id {
    fn from(s: &str) -> Self {
        Id(s.to_string())
    }
}

impl From<String> for Id {
    fn from(s: String) -> Self {
        Id(s)
    }
}

impl From<u64> for Id {
    fn from(n: u64) -> Self {
        Id(n.to_string())
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Id(s)),
            Value::Number(n) => Ok(Id(n.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "id must be a string or a number, got {other}"
            ))),
        }
    }
}

/// `null` read as the type's default, so `"contactInfo": null` does not sink a whole list (defensive).
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// An optional value Megaplan may send as a string or a number; both are read as a string.
pub(crate) fn opt_string_or_number<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

/// A link entity `{"contentType":"Employee","id":"1000003"}` (§0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    #[serde(rename = "contentType")]
    pub content_type: String,
    pub id: Id,
}

impl Link {
    pub fn new(content_type: &str, id: impl Into<Id>) -> Self {
        Link {
            content_type: content_type.to_string(),
            id: id.into(),
        }
    }
    pub fn employee(id: impl Into<Id>) -> Self {
        Link::new("Employee", id)
    }
}

/// `{"contentType":"DateTime","value":"2025-10-03T06:03:56+00:00"}` (§0); we always send ISO-8601 with offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime(pub chrono::DateTime<chrono::FixedOffset>);

impl DateTime {
    pub fn parse_value(value: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        chrono::DateTime::parse_from_rfc3339(value)
            .ok()
            // TS clients write "YYYY-MM-DD HH:MM:SS"; read it as UTC (§0, inferred).
            .or_else(|| {
                chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S")
                    .ok()
                    .map(|n| n.and_utc().fixed_offset())
            })
    }
}

impl<Tz: chrono::TimeZone> From<chrono::DateTime<Tz>> for DateTime {
    fn from(t: chrono::DateTime<Tz>) -> Self {
        DateTime(t.fixed_offset())
    }
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        json!({"contentType": "DateTime", "value": self.0.to_rfc3339()}).serialize(s)
    }
}

impl<'de> Deserialize<'de> for DateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let value = v
            .get("value")
            .and_then(Value::as_str)
            .ok_or_else(|| serde::de::Error::custom("DateTime without a string `value`"))?;
        DateTime::parse_value(value)
            .map(DateTime)
            .ok_or_else(|| serde::de::Error::custom(format!("bad DateTime value {value:?}")))
    }
}

/// `{"contentType":"DateOnly","year":2025,"month":9,"day":22}` where **month is 0-based** (§0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateOnly(pub chrono::NaiveDate);

impl Serialize for DateOnly {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use chrono::Datelike;
        json!({"contentType": "DateOnly", "year": self.0.year(), "month": self.0.month0(), "day": self.0.day()})
            .serialize(s)
    }
}

impl<'de> Deserialize<'de> for DateOnly {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            year: i32,
            month: u32,
            day: u32,
        }
        let r = Raw::deserialize(d)?;
        chrono::NaiveDate::from_ymd_opt(r.year, r.month + 1, r.day)
            .map(DateOnly)
            .ok_or_else(|| serde::de::Error::custom("bad DateOnly"))
    }
}

/// `{"contentType":"Money","value":3100,"currency":"USD","valueInMain":..,"rate":..}` (§0, DEALJSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    #[serde(default = "money_content_type")]
    pub content_type: String,
    pub value: f64,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_in_main: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
}

fn money_content_type() -> String {
    "Money".into()
}

impl Money {
    /// An amount in the account's main currency: TS sends `rate: 1` and `valueInMain` = value (§0).
    pub fn main(value: f64, currency: &str) -> Self {
        Money {
            content_type: "Money".into(),
            value,
            currency: Some(currency.into()),
            value_in_main: Some(value),
            rate: Some(1.0),
        }
    }
}

/// `{"contentType":"ContactInfo","type":"phone","value":"+7999…","isMain":true}` (§2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactInfo {
    #[serde(default = "contact_info_content_type")]
    pub content_type: String,
    #[serde(rename = "type", default, deserialize_with = "null_default")]
    pub kind: String,
    #[serde(default, deserialize_with = "null_default")]
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_main: Option<bool>,
}

fn contact_info_content_type() -> String {
    "ContactInfo".into()
}

impl ContactInfo {
    pub fn phone(value: &str) -> Self {
        ContactInfo {
            content_type: "ContactInfo".into(),
            kind: "phone".into(),
            value: value.into(),
            comment: None,
            is_main: Some(true),
        }
    }
    pub fn email(value: &str) -> Self {
        ContactInfo {
            kind: "email".into(),
            ..ContactInfo::phone(value)
        }
    }
}

/// Keys like `Category183CustomFieldRegion` that carry extra ("дополнительные") fields (§0).
pub fn is_extra_field_name(key: &str) -> bool {
    key.starts_with("Category") && key.contains("CustomField")
}

/// One page of a list and whether another follows (§0 "Pagination").
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_more_next: bool,
    pub count: Option<u64>,
}

/// Digits only, so "+7 (999) 123-45-67" and "89991234567" compare equal after the 7/8 fold (§3 "Find").
pub fn phone_digits(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 11 && digits.starts_with('8') {
        format!("7{}", &digits[1..])
    } else {
        digits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_only_month_is_zero_based_on_the_wire() {
        let d = DateOnly(chrono::NaiveDate::from_ymd_opt(2025, 10, 22).unwrap());
        let v = serde_json::to_value(d).unwrap();
        assert_eq!(v["month"], 9);
        let back: DateOnly = serde_json::from_value(v).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn ids_are_read_from_strings_and_numbers() {
        let a: Id = serde_json::from_value(json!("12")).unwrap();
        let b: Id = serde_json::from_value(json!(12)).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn datetime_reads_iso_and_space_separated_forms() {
        let a: DateTime = serde_json::from_value(
            json!({"contentType":"DateTime","value":"2024-05-01T10:00:00+03:00"}),
        )
        .unwrap();
        let b: DateTime =
            serde_json::from_value(json!({"contentType":"DateTime","value":"2024-05-01 07:00:00"}))
                .unwrap();
        assert_eq!(a.0, b.0);
    }

    #[test]
    fn null_arrays_and_contact_values_do_not_break_decoding() {
        let c: crate::Contractor =
            serde_json::from_value(json!({"contentType":"ContractorHuman","id":1,
            "contactInfo":null,"responsibles":null}))
            .unwrap();
        assert!(c.contact_info.is_empty() && c.responsibles.is_empty());
        let e: crate::Employee = serde_json::from_value(json!({"id":"1","isWorking":null,
            "contactInfo":[{"contentType":"ContactInfo","type":"phone","value":null}]}))
        .unwrap();
        assert!(e.is_working);
    }

    #[test]
    fn phone_digits_fold_russian_eight_prefix() {
        assert_eq!(phone_digits("8 (999) 123-45-67"), "79991234567");
        assert_eq!(phone_digits("+7 999 123 45 67"), "79991234567");
    }
}
