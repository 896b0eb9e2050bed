//! No input of any shape makes the notification parser panic.

use proptest::prelude::*;
use uis::notification::{EventKind, parse};
use uis::routing::RouteRequest;

fn kind() -> impl Strategy<Value = EventKind> {
    (0..EventKind::ALL.len()).prop_map(|i| EventKind::ALL[i])
}

/// Bodies that look almost like UIS's: keys, placeholders, quotes, brackets, escapes, Cyrillic.
fn json_ish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just(":".to_string()),
        Just("\"".to_string()),
        Just("\"\"".to_string()),
        Just("\\".to_string()),
        Just("\\u12".to_string()),
        Just("{{".to_string()),
        Just("}}".to_string()),
        Just("\"call_session_id\"".to_string()),
        Just("\"leg_ids\"".to_string()),
        Just("null".to_string()),
        Just("\"notification_time\"".to_string()),
        Just("2024-03-01 10:00:00.123".to_string()),
        Just("Привет".to_string()),
        "-?[0-9]{1,25}(\\.[0-9]{1,5})?(e[0-9]{1,4})?",
        "[a-z_=&%]{0,8}",
    ];
    prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(kind in kind(), body in prop::collection::vec(any::<u8>(), 0..300),
                                   query in prop::option::of(".{0,80}"), json in any::<bool>()) {
        let ct = if json { Some("application/json") } else { Some("application/x-www-form-urlencoded") };
        let _ = parse(kind, ct, query.as_deref(), &body, chrono_tz::Europe::Moscow);
        let _ = RouteRequest::parse(ct, query.as_deref(), &body);
    }

    #[test]
    fn json_like_text_never_panics(kind in kind(), body in json_ish(), ct in prop::option::of("(application/json|text/plain|)")) {
        let _ = parse(kind, ct.as_deref(), Some(&body), body.as_bytes(), chrono_tz::Asia::Vladivostok);
        if let Ok(n) = parse(kind, ct.as_deref(), None, body.as_bytes(), chrono_tz::Europe::Moscow) {
            let _ = n.dedupe_key();
        }
    }
}
