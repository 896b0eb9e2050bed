use std::time::Duration;

use megaplan::Error;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn check_credentials_performs_a_password_login_and_keeps_the_token_with_expiry() {
    let (emu, client) = spawn();
    assert!(client.token_snapshot().is_none());
    client.check_credentials().await.unwrap();
    let t = client.token_snapshot().expect("token kept");
    let ttl = t.expires_at - chrono::Utc::now();
    assert!(ttl > chrono::Duration::hours(47) && ttl <= chrono::Duration::hours(48));
    assert!(t.refresh_token.is_some());
    assert_eq!(emu.state().tokens_issued(), 1);
}

#[tokio::test]
async fn wrong_password_is_credentials_broken() {
    let (emu, _) = spawn();
    let client = client_for(&emu, "nope", Duration::from_secs(5));
    let err = client.check_credentials().await.unwrap_err();
    assert!(matches!(err, Error::CredentialsBroken { .. }), "{err:?}");
    assert!(!err.is_transient());
    let err = client.employees().await.unwrap_err();
    assert!(matches!(err, Error::CredentialsBroken { .. }), "{err:?}");
}

#[tokio::test]
async fn first_call_logs_in_by_itself() {
    let (emu, client) = spawn();
    assert_eq!(client.employees().await.unwrap().len(), 4);
    assert_eq!(emu.state().tokens_issued(), 1);
}

#[tokio::test]
async fn expired_token_is_refreshed_once_then_request_succeeds() {
    let (emu, client) = spawn();
    client.check_credentials().await.unwrap();
    let before = client.token_snapshot().unwrap();
    emu.state().expire_all_tokens();
    assert_eq!(client.programs().await.unwrap().len(), 2);
    let after = client.token_snapshot().unwrap();
    assert_ne!(before.access_token, after.access_token);
    assert_eq!(
        emu.state().tokens_issued(),
        2,
        "one refresh, no password login"
    );
}

#[tokio::test]
async fn revoked_refresh_token_falls_back_to_one_password_login() {
    let (emu, client) = spawn();
    client.check_credentials().await.unwrap();
    emu.state().expire_all_tokens();
    emu.state().revoke_refresh_tokens();
    client.employees().await.unwrap();
    assert_eq!(emu.state().tokens_issued(), 2);
}

#[tokio::test]
async fn password_changed_while_token_expires_gives_credentials_broken() {
    let (emu, good) = spawn();
    good.check_credentials().await.unwrap();
    // A client that restarts with a persisted token but whose password was changed since.
    let stale = client_for(&emu, "old-password", Duration::from_secs(5))
        .with_token(good.token_snapshot().unwrap());
    stale.employees().await.unwrap();
    emu.state().expire_all_tokens();
    emu.state().revoke_refresh_tokens();
    let err = stale.employees().await.unwrap_err();
    assert!(matches!(err, Error::CredentialsBroken { .. }), "{err:?}");
}

#[tokio::test]
async fn concurrent_401s_cause_a_single_refresh() {
    let (emu, client) = spawn();
    client.check_credentials().await.unwrap();
    emu.state().expire_all_tokens();
    let calls = (0..8).map(|_| {
        let c = client.clone();
        tokio::spawn(async move { c.todo_categories().await })
    });
    for r in futures_join(calls).await {
        r.unwrap();
    }
    assert_eq!(emu.state().tokens_issued(), 2, "single-flight refresh");
}

async fn futures_join<T>(handles: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for h in handles.collect::<Vec<_>>() {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn persisted_token_is_reused_without_login() {
    let (emu, first) = spawn();
    first.check_credentials().await.unwrap();
    let second = client_for(&emu, PASSWORD, Duration::from_secs(5))
        .with_token(first.token_snapshot().unwrap());
    second.employees().await.unwrap();
    assert_eq!(emu.state().tokens_issued(), 1);
}

#[tokio::test]
async fn token_close_to_expiry_is_refreshed_before_sending() {
    let (emu, client) = spawn();
    emu.state().faults().set_token_ttl(Duration::from_secs(30));
    client.check_credentials().await.unwrap();
    let updates = client.token_updates();
    client.employees().await.unwrap();
    assert_eq!(
        emu.state().tokens_issued(),
        2,
        "proactive refresh inside the 60 s margin"
    );
    assert!(
        updates.has_changed().unwrap(),
        "token change is announced for persistence"
    );
}

#[tokio::test]
async fn emulator_accepts_form_json_and_multipart_grants_and_answers_bare_oauth_json() {
    let (emu, _) = spawn();
    let url = emu.base_url().join("api/v3/auth/access_token").unwrap();
    let http = reqwest::Client::new();
    let json_body =
        serde_json::json!({"grant_type":"password","username":LOGIN,"password":PASSWORD});
    let v: Value = http
        .post(url.clone())
        .json(&json_body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["token_type"], "bearer");
    assert!(v["scope"].is_null() && v["expires_in"].as_u64() == Some(172_800));
    let boundary = "XyZ";
    let mp = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\npassword\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\n{LOGIN}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n{PASSWORD}\r\n--{boundary}--\r\n"
    );
    let resp = http
        .post(url.clone())
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(mp)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let bad = http
        .post(url)
        .form(&[
            ("grant_type", "password"),
            ("username", LOGIN),
            ("password", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let v: Value = bad.json().await.unwrap();
    assert_eq!(v["error"], "invalid_grant");
}

#[tokio::test]
async fn emulator_requires_a_bearer_token_or_access_token_in_query() {
    let (emu, _) = spawn();
    let url = emu.base_url().join("api/v3/employee").unwrap();
    let resp = reqwest::get(url.clone()).await.unwrap();
    assert_eq!(resp.status(), 401);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["meta"]["status"], 401);
    let token = raw_token(&emu).await;
    let mut with_query = url;
    with_query.set_query(Some(&format!("%7B%22access_token%22%3A%22{token}%22%7D")));
    assert_eq!(reqwest::get(with_query).await.unwrap().status(), 200);
}
