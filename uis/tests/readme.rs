//! uis/README.md carries the exact templates an admin pastes; keep it in sync with the code.

use uis::notification::EventKind;
use uis::notification::templates::{CHAT_EVENTS, chat_template, template};

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("uis/README.md")
}

#[test]
/// Regenerate the section with `cargo run -p uis --example print_templates`.
fn readme_contains_every_cabinet_template() {
    let readme = readme();
    for kind in EventKind::ALL.into_iter().filter(|k| *k != EventKind::Chat) {
        assert!(
            readme.contains(&template(kind)),
            "README lacks the {kind:?} template:\n{}",
            template(kind)
        );
        assert!(
            readme.contains(&format!("/{}", kind.path_segment())),
            "README lacks the {kind:?} URL"
        );
    }
    for event in CHAT_EVENTS {
        assert!(
            readme.contains(&chat_template(event)),
            "README lacks the {event} chat template:\n{}",
            chat_template(event)
        );
    }
}
