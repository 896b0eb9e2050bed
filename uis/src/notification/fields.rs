//! Turns whatever UIS rendered (JSON, broken JSON, form body, query string) into clean key → value pairs.
//!
//! UIS substitutes `{{param}}` with JSON-encoded values, so a template that quotes placeholders yields
//! `""x""`, and a placeholder UIS does not know may stay literally `{{param}}` (uis-api.md §1).

use std::collections::BTreeMap;

use serde_json::Value;

/// Cleaned parameters: no nulls, no unrendered placeholders, no surrounding quotes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(pub BTreeMap<String, Value>);

pub(crate) fn decode(content_type: Option<&str>, query: Option<&str>, body: &[u8]) -> Params {
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    let mut raw: Vec<(String, Value)> = Vec::new();
    let looks_json = trimmed.starts_with('{');
    if ct.contains("json") || looks_json {
        match serde_json::from_str::<Value>(trimmed) {
            Ok(Value::Object(m)) => raw.extend(m),
            _ if looks_json => raw.extend(lenient_object(trimmed)),
            _ => {}
        }
    } else if ct.contains("form-urlencoded") || trimmed.contains('=') {
        raw.extend(form_pairs(trimmed.as_bytes()));
    }
    if let Some(q) = query {
        raw.extend(form_pairs(q.trim_start_matches('?').as_bytes()));
    }
    let mut params = BTreeMap::new();
    for (key, value) in raw {
        // Nested objects (e.g. chat `visitor_info`) lend their keys to the top level.
        if let Value::Object(inner) = &value {
            for (k, v) in inner {
                if let Some(v) = clean(v.clone()) {
                    params.entry(k.trim().to_string()).or_insert(v);
                }
            }
        }
        if let Some(v) = clean(value) {
            // The body wins over the query string; the first occurrence wins within each.
            params.entry(key.trim().to_string()).or_insert(v);
        }
    }
    Params(params)
}

fn form_pairs(bytes: &[u8]) -> impl Iterator<Item = (String, Value)> + '_ {
    url::form_urlencoded::parse(bytes).map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
}

fn clean(value: Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::String(s) => clean_str(&s).map(Value::String),
        Value::Array(items) => Some(Value::Array(items.into_iter().filter_map(clean).collect())),
        other => Some(other),
    }
}

/// `"\"x\""` → `x`, `{{x}}` → none, `null` → none.
pub(crate) fn clean_str(s: &str) -> Option<String> {
    let mut s = s.trim();
    loop {
        let stripped = strip_pair(s, "\\\"")
            .or_else(|| strip_pair(s, "\""))
            .or_else(|| strip_pair(s, "'"));
        match stripped {
            Some(inner) => s = inner.trim(),
            None => break,
        }
    }
    let unrendered = s.starts_with("{{") && s.ends_with("}}");
    let empty =
        s.is_empty() || ["null", "none", "undefined"].contains(&s.to_ascii_lowercase().as_str());
    (!unrendered && !empty).then(|| s.to_string())
}

fn strip_pair<'a>(s: &'a str, q: &str) -> Option<&'a str> {
    (s.len() >= 2 * q.len() && s.starts_with(q) && s.ends_with(q))
        .then(|| &s[q.len()..s.len() - q.len()])
}

impl Params {
    pub(crate) fn str(&self, key: &str) -> Option<String> {
        match self.0.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub(crate) fn i64(&self, key: &str) -> Option<i64> {
        self.0.get(key).and_then(value_i64)
    }

    pub(crate) fn bool(&self, key: &str) -> Option<bool> {
        match self.0.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => n.as_i64().map(|n| n != 0),
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "t" | "1" | "yes" => Some(true),
                "false" | "f" | "0" | "no" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    pub(crate) fn i64_list(&self, key: &str) -> Vec<i64> {
        self.list(key).iter().filter_map(value_i64).collect()
    }

    pub(crate) fn str_list(&self, key: &str) -> Vec<String> {
        self.list(key)
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => clean_str(&s),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect()
    }

    /// An array, a JSON array inside a string, or a comma-separated string.
    fn list(&self, key: &str) -> Vec<Value> {
        match self.0.get(key) {
            Some(Value::Array(items)) => items.clone(),
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Array(items)) => items,
                _ => s
                    .trim_matches(|c| c == '[' || c == ']')
                    .split([',', ';'])
                    .filter_map(clean_str)
                    .map(Value::String)
                    .collect(),
            },
            Some(other) => vec![other.clone()],
            None => Vec::new(),
        }
    }
}

fn value_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => {
            let s = clean_str(s)?;
            s.parse::<i64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                    .map(|f| f as i64)
            })
        }
        _ => None,
    }
}

/// A flat-object reader for bodies serde_json rejects (unquoted `{{x}}`, `""x""`, stray text).
fn lenient_object(text: &str) -> Vec<(String, Value)> {
    let c: Vec<char> = text.chars().collect();
    let mut i = c.iter().position(|&x| x == '{').map_or(0, |p| p + 1);
    let mut out = Vec::new();
    loop {
        while i < c.len() && (c[i].is_whitespace() || c[i] == ',') {
            i += 1;
        }
        if i >= c.len() || c[i] == '}' {
            break;
        }
        let key = if c[i] == '"' {
            let (s, next) = read_json_string(&c, i);
            i = next;
            s
        } else {
            let start = i;
            while i < c.len() && !matches!(c[i], ':' | ',' | '}') {
                i += 1;
            }
            c[start..i].iter().collect::<String>()
        };
        while i < c.len() && c[i].is_whitespace() {
            i += 1;
        }
        if i >= c.len() || c[i] != ':' {
            if i < c.len() && !matches!(c[i], ',' | '}') {
                i += 1;
            }
            continue;
        }
        i += 1;
        while i < c.len() && c[i].is_whitespace() {
            i += 1;
        }
        let (value, next) = read_value(&c, i);
        i = next;
        // Skip whatever trails a value up to the next separator.
        while i < c.len() && !matches!(c[i], ',' | '}') {
            i += 1;
        }
        let key = key.trim().trim_matches('"').to_string();
        if !key.is_empty() {
            out.push((key, value));
        }
    }
    out
}

fn read_value(c: &[char], i: usize) -> (Value, usize) {
    let at = |k: usize| c.get(k).copied();
    let is_end = |k: usize| {
        let mut k = k;
        while at(k).is_some_and(char::is_whitespace) {
            k += 1;
        }
        matches!(at(k), None | Some(',') | Some('}'))
    };
    match at(i) {
        None => (Value::Null, i),
        Some('{') if at(i + 1) == Some('{') => {
            let end = find(c, i + 2, &['}', '}']).map_or(c.len(), |p| p + 2);
            (Value::String(c[i..end].iter().collect()), end)
        }
        Some('"') if at(i + 1) == Some('"') => {
            if is_end(i + 2) {
                return (Value::String(String::new()), i + 2);
            }
            // `""x""`: a string placeholder the admin wrapped in quotes.
            let mut j = i + 2;
            while j < c.len() {
                if c[j] == '"' && at(j + 1) == Some('"') && is_end(j + 2) {
                    return (Value::String(c[i + 2..j].iter().collect()), j + 2);
                }
                j += 1;
            }
            bare(c, i)
        }
        Some('"') => {
            let (s, next) = read_json_string(c, i);
            (Value::String(s), next)
        }
        Some(open @ ('[' | '{')) => {
            let end = matching(c, i);
            let slice: String = c[i..end].iter().collect();
            let value = serde_json::from_str(&slice).unwrap_or_else(|_| {
                if open == '{' {
                    Value::Object(lenient_object(&slice).into_iter().collect())
                } else {
                    Value::String(slice)
                }
            });
            (value, end)
        }
        Some(_) => bare(c, i),
    }
}

fn bare(c: &[char], i: usize) -> (Value, usize) {
    let mut j = i;
    while j < c.len() && !matches!(c[j], ',' | '}' | '\n') {
        j += 1;
    }
    let token: String = c[i..j].iter().collect::<String>().trim().to_string();
    let value = serde_json::from_str::<Value>(&token)
        .ok()
        .filter(|v| !v.is_object() && !v.is_array())
        .unwrap_or(Value::String(token));
    (value, j)
}

fn find(c: &[char], from: usize, pat: &[char]) -> Option<usize> {
    (from..c.len()).find(|&k| c[k..].starts_with(pat))
}

/// Index just past the bracket matching `c[i]`, aware of strings; `c.len()` if unbalanced.
fn matching(c: &[char], i: usize) -> usize {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut k = i;
    while k < c.len() {
        match c[k] {
            '\\' if in_str => k += 1,
            '"' => in_str = !in_str,
            '[' | '{' if !in_str => depth += 1,
            ']' | '}' if !in_str => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k + 1;
                }
            }
            _ => {}
        }
        k += 1;
    }
    c.len()
}

/// Reads a JSON string starting at the quote `c[i]`; returns the text and the index after it.
fn read_json_string(c: &[char], i: usize) -> (String, usize) {
    let mut s = String::new();
    let mut k = i + 1;
    while k < c.len() {
        match c[k] {
            '"' => return (s, k + 1),
            '\\' => {
                k += 1;
                match c.get(k) {
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some('r') => s.push('\r'),
                    Some('b' | 'f') => {}
                    Some('u') => {
                        let hex: String = c
                            .get(k + 1..k + 5)
                            .map(|h| h.iter().collect())
                            .unwrap_or_default();
                        match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                            Some(ch) => {
                                s.push(ch);
                                k += 4;
                            }
                            None => s.push('u'),
                        }
                    }
                    Some(other) => s.push(*other),
                    None => {}
                }
            }
            other => s.push(other),
        }
        k += 1;
    }
    (s, c.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_reader_survives_unquoted_placeholders_and_double_quotes() {
        let p = decode(
            None,
            None,
            br#"{"call_session_id":{{call_session_id}},"contact_phone_number":""79508418541"","n":5,"a":[1,2]}"#,
        );
        assert_eq!(p.i64("call_session_id"), None);
        assert_eq!(
            p.str("contact_phone_number").as_deref(),
            Some("79508418541")
        );
        assert_eq!(p.i64("n"), Some(5));
        assert_eq!(p.i64_list("a"), vec![1, 2]);
    }

    #[test]
    fn clean_str_strips_quotes_and_placeholders() {
        assert_eq!(clean_str("\"\\\"x\\\"\"").as_deref(), Some("x"));
        assert_eq!(clean_str("{{employee_id}}"), None);
        assert_eq!(clean_str(" null "), None);
        assert_eq!(clean_str("\"\""), None);
    }
}
