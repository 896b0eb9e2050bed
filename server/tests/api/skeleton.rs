//! Foundation: health probes, the first page by SSR, a server function on both databases, shutdown.

use crate::helpers::{BACKENDS, spawn_app};

#[tokio::test]
async fn healthz_and_readyz_answer_on_both_databases() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else {
            continue;
        };
        let r = app.http.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{backend:?}");
        let r = app.http.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{backend:?}");
        assert_eq!(r.text().await.unwrap(), "ready");
        app.server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn first_page_is_rendered_on_the_server_with_hydration_scripts() {
    let app = spawn_app(uis_megaplan::testing::TestBackend::Sqlite)
        .await
        .unwrap();
    let session = crate::signed_in::admin_session(&app).await;
    let r = session.get("/").await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Интеграция UIS ⇄ Megaplan"),
        "Russian title rendered by SSR"
    );
    assert!(
        html.contains(r#"data-hydrated="false""#),
        "not hydrated on the server"
    );
    assert!(
        html.contains("/pkg/uis-megaplan.js"),
        "hydration script linked"
    );
    assert!(html.contains("/pkg/uis-megaplan.css"), "stylesheet linked");
}

#[tokio::test]
async fn unknown_page_is_404() {
    let app = spawn_app(uis_megaplan::testing::TestBackend::Sqlite)
        .await
        .unwrap();
    let session = crate::signed_in::admin_session(&app).await;
    let r = session.get("/no-such-page").await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn server_function_reads_migrations_from_each_database() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else {
            continue;
        };
        let session = crate::signed_in::admin_session(&app).await;
        let r = session.post("/api/database_status", &[]).await;
        assert_eq!(r.status(), 200, "{backend:?}");
        let status: app::DatabaseInfo = r.json().await.unwrap();
        assert_eq!(status.backend, format!("{backend:?}").to_lowercase());
        assert_eq!(
            status.migrations_applied as usize,
            uis_megaplan::db::MIGRATOR.iter().count()
        );
    }
}

#[tokio::test]
async fn second_start_on_the_same_data_directory_keeps_data_and_key() {
    let db = uis_megaplan::testing::TestDb::sqlite();
    let args = uis_megaplan::config::ServeArgs::for_tests(db.data_dir.clone(), None);
    let first = uis_megaplan::start(&args).await.unwrap();
    let key = first.state.secret.0;
    first.shutdown().await.unwrap();
    let second = uis_megaplan::start(&args).await.unwrap();
    assert_eq!(second.state.secret.0, key, "the generated key is reused");
    assert!(second.state.db.is_ready().await.is_ok());
    assert!(db.data_dir.join("uis-megaplan.db").exists());
}

#[tokio::test]
async fn graceful_shutdown_stops_accepting_connections() {
    let app = spawn_app(uis_megaplan::testing::TestBackend::Sqlite)
        .await
        .unwrap();
    let url = app.url("/healthz");
    assert_eq!(app.http.get(&url).send().await.unwrap().status(), 200);
    app.server.shutdown().await.unwrap();
    assert!(
        reqwest::get(&url).await.is_err(),
        "port closed after shutdown"
    );
}

#[test]
fn a_database_url_of_another_kind_is_a_clear_error() {
    let err = uis_megaplan::db::Backend::of_url("mysql://root:pw@localhost/x")
        .unwrap_err()
        .to_string();
    assert!(err.contains("sqlite: or postgres://"), "{err}");
    assert!(!err.contains("pw"), "password not echoed: {err}");
}

#[tokio::test]
async fn metrics_are_scraped_without_a_session_in_prometheus_format() {
    let app = spawn_app(uis_megaplan::testing::TestBackend::Sqlite)
        .await
        .unwrap();
    let r = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("# TYPE"),
        "Prometheus exposition format: {text}"
    );
}
