//! Prints the cabinet templates section of uis/README.md: `cargo run -p uis --example print_templates`.

use uis::notification::EventKind;
use uis::notification::templates::{CHAT_EVENTS, chat_template, query_template, template};

fn main() {
    for kind in EventKind::ALL.into_iter().filter(|k| *k != EventKind::Chat) {
        println!(
            "#### {} → `{{base}}/hooks/uis/{{account_key}}/{}`\n",
            kind.cabinet_label(),
            kind.path_segment()
        );
        println!("```json\n{}\n```\n", template(kind));
        println!("GET variant: `?{}`\n", query_template(kind));
    }
    for event in CHAT_EVENTS {
        println!("#### Чат: {event} → `{{base}}/hooks/uis/{{account_key}}/chat`\n");
        println!("```json\n{}\n```\n", chat_template(event));
    }
}
