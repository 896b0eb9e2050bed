use std::time::Duration;

use megaplan::emulator::Corruption;
use megaplan::{Error, Id, NewContractorCompany};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

#[tokio::test]
async fn validation_error_carries_the_field() {
    let (_emu, client) = spawn();
    let err = client
        .create_contractor_company(&NewContractorCompany::default())
        .await
        .unwrap_err();
    match err {
        Error::Validation { field, .. } => assert_eq!(field.as_deref(), Some("name")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn missing_entity_is_not_found() {
    let (_emu, client) = spawn();
    let err = client.deal(&Id::from("999")).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(!err.is_transient());
}

#[tokio::test]
async fn forbidden_is_typed() {
    let (emu, client) = spawn();
    client.check_credentials().await.unwrap();
    emu.state().faults().fail_next(1, 403);
    let err = client.employees().await.unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
}

#[tokio::test]
async fn rate_limited_carries_retry_after_and_is_transient() {
    let (emu, client) = spawn();
    client.check_credentials().await.unwrap();
    emu.state().faults().set_retry_after(7);
    emu.state().faults().fail_next(1, 429);
    let err = client.employees().await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert!(err.is_transient());
    client.employees().await.expect("next call passes");
}

#[tokio::test]
async fn per_token_rate_limit_answers_429() {
    let (emu, client) = spawn();
    client.check_credentials().await.unwrap();
    emu.state().faults().set_rate_limit_per_token(Some(2));
    client.todo_statuses().await.unwrap();
    client.todo_statuses().await.unwrap();
    let err = client.todo_statuses().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::RateLimited {
                retry_after: Some(_)
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn server_error_is_transient() {
    let (emu, client) = spawn();
    client.check_credentials().await.unwrap();
    emu.state().faults().fail_next(1, 500);
    let err = client.employees().await.unwrap_err();
    assert!(matches!(err, Error::Server { status: 500, .. }), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn non_json_502_page_is_a_server_error_not_a_panic() {
    let (emu, client) = spawn();
    client.check_credentials().await.unwrap();
    emu.state().faults().fail_next(1, 502);
    match client.programs().await.unwrap_err() {
        Error::Server {
            status,
            body_excerpt,
        } => {
            assert_eq!(status, 502);
            assert!(body_excerpt.contains("Bad Gateway"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn malformed_truncated_or_misshapen_json_is_a_decode_error() {
    let (emu, client) = spawn();
    client.check_credentials().await.unwrap();
    for how in [
        Corruption::MalformedJson,
        Corruption::TruncatedJson,
        Corruption::WrongShape,
    ] {
        emu.state().faults().corrupt_next(1, how);
        let err = client.employees().await.unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{how:?}: {err:?}");
        assert!(!err.is_transient());
    }
}

#[tokio::test]
async fn slow_answer_is_a_transient_timeout() {
    let (emu, _) = spawn();
    // Generous enough for a loaded CI machine to log in, far below the injected delay.
    let client = client_for(&emu, PASSWORD, Duration::from_millis(1000));
    client.check_credentials().await.unwrap();
    emu.state().faults().set_delay(Duration::from_millis(2500));
    let err = client.employees().await.unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(err.is_transient());
    emu.state().faults().clear();
    client.employees().await.unwrap();
}

#[tokio::test]
async fn random_fault_probabilities_are_honoured() {
    let (emu, client) = spawn();
    client.check_credentials().await.unwrap();
    emu.state().faults().set_error_probability(1.0, 503);
    assert!(matches!(
        client.employees().await.unwrap_err(),
        Error::Server { status: 503, .. }
    ));
    emu.state().faults().set_error_probability(0.0, 503);
    emu.state().faults().set_rate_limit_probability(1.0);
    assert!(matches!(
        client.employees().await.unwrap_err(),
        Error::RateLimited { .. }
    ));
    emu.state().faults().set_rate_limit_probability(0.0);
    emu.state()
        .faults()
        .set_slow(1.0, Duration::from_millis(50));
    client.employees().await.unwrap();
}

#[tokio::test]
async fn body_cut_on_the_wire_is_a_typed_error() {
    // A server that promises 1000 bytes, sends 20 and hangs up.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"access_token\":\"x")
                .await;
            let _ = sock.shutdown().await;
        }
    });
    let client = megaplan::Client::new(
        format!("http://{addr}/").parse().unwrap(),
        megaplan::Credentials {
            login: "a".into(),
            password: "b".into(),
        },
    );
    let err = client.check_credentials().await.unwrap_err();
    assert!(
        matches!(err, Error::Transport(_) | Error::Decode { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn unreachable_server_is_a_transient_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = megaplan::Client::new(
        format!("http://{addr}/").parse().unwrap(),
        megaplan::Credentials {
            login: "a".into(),
            password: "b".into(),
        },
    );
    let err = client.employees().await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.is_transient());
}
