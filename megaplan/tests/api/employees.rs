use megaplan::Id;
use megaplan::emulator::Seed;

use crate::helpers::*;

#[tokio::test]
async fn employees_come_with_email_phone_and_working_flag() {
    let (_emu, client) = spawn();
    let all = client.employees().await.unwrap();
    assert_eq!(all.len(), 4);
    let ivan = all.iter().find(|e| e.id.as_str() == "1000002").unwrap();
    assert_eq!(ivan.email(), Some("ivan@demo.megaplan"));
    assert_eq!(ivan.phones().count(), 1);
    assert!(
        all.iter().any(|e| !e.is_working),
        "a fired employee is seeded"
    );
    let one = client.employee(&Id::from("1000003")).await.unwrap();
    assert_eq!(one.display_name(), "Сидорова Мария");
}

#[tokio::test]
async fn call_user_configs_map_employees_to_extensions() {
    let (_emu, client) = spawn();
    let configs = client.call_user_configs().await.unwrap();
    assert_eq!(configs.len(), 3);
    let of_ivan = client
        .call_user_config_of(&Id::from("1000002"))
        .await
        .unwrap();
    assert_eq!(of_ivan.internal_number.as_deref(), Some("101"));
    let created = client
        .create_call_user_config(&Id::from("1000004"), "sip:104@pbx")
        .await
        .unwrap();
    assert_eq!(created.employee.id.as_str(), "1000004");
    let updated = client
        .update_call_user_config(&created.id, "105")
        .await
        .unwrap();
    assert_eq!(updated.internal_number.as_deref(), Some("105"));
    assert_eq!(client.call_user_configs().await.unwrap().len(), 4);
}

#[tokio::test]
async fn list_pages_follow_page_after_until_has_more_next_is_false() {
    let (emu, _) = spawn();
    let (status, first) = raw(
        &emu,
        "GET",
        "api/v3/employee",
        Some("%7B%22limit%22%3A3%7D"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(first["data"].as_array().unwrap().len(), 3);
    assert_eq!(first["meta"]["pagination"]["hasMoreNext"], true);
    assert_eq!(first["meta"]["pagination"]["hasMorePrev"], false);
    let after = r#"{"limit":3,"pageAfter":{"contentType":"Employee","id":"1000003"}}"#;
    let (_, second) = raw(&emu, "GET", "api/v3/employee", Some(&percent(after)), None).await;
    assert_eq!(second["data"].as_array().unwrap().len(), 1);
    assert_eq!(second["meta"]["pagination"]["hasMoreNext"], false);
    assert_eq!(second["meta"]["pagination"]["hasMorePrev"], true);
    assert!(second["data"][0]["id"].is_string(), "ids are strings");
}

#[tokio::test]
async fn only_requested_fields_are_returned_when_asked() {
    let (emu, _) = spawn();
    let q = r#"{"fields":["firstName"],"onlyRequestedFields":true}"#;
    let (_, v) = raw(&emu, "GET", "api/v3/employee", Some(&percent(q)), None).await;
    let first = v["data"][0].as_object().unwrap();
    assert!(
        first.contains_key("firstName")
            && first.contains_key("id")
            && !first.contains_key("lastName")
    );
}

#[test]
fn demo_seed_describes_login_password_and_ids() {
    let text = Seed::demo().describe();
    for needle in [
        "admin@demo.megaplan",
        "demo-password",
        "1000002",
        "101",
        "Продажи",
        "(call)",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
}

pub fn percent(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
