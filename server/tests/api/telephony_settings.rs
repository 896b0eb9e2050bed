//! The telephony section of the settings page: the pick-list server functions (Megaplan employees,
//! schemes with states, todo categories; UIS employees, statuses, virtual numbers) read with the
//! account's saved credentials, the T1 sync as a server function, and the save validated whole with
//! `TelephonySettings::validate` (dotted paths, nothing saved half-way). SQLite and PostgreSQL.

use app::api::{ErrorCode, FormOutcome};
use app::telephony::{Picklists, StaffTable, TelephonyPage};
use serde_json::{Value, json};

use crate::helpers::BACKENDS;
use crate::signed_in::Session;
use crate::telephony_support::{Mp, TelephonyApp, Ui, VIRTUAL_NUMBER, spawn};

fn megaplan_staff() -> Vec<Mp> {
    vec![
        Mp(
            3001,
            "Алексеева",
            "alekseeva@acme.example",
            "+7 916 100-00-01",
            Some("201"),
        ),
        Mp(
            3002,
            "Борисов",
            "borisov@acme.example",
            "+7 916 100-00-02",
            Some("202"),
        ),
    ]
}

fn uis_staff() -> Vec<Ui> {
    vec![Ui(
        8001,
        "Алексеева",
        "alekseeva@acme.example",
        "201",
        "79160000201",
    )]
}

async fn call(session: &Session<'_>, function: &str, body: Value) -> reqwest::Response {
    let mut r = session
        .app
        .http
        .post(session.app.url(&format!("/api/{function}")))
        .header("origin", session.app.server.url())
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(c) = &session.cookie {
        r = r.header("cookie", c);
    }
    r.send().await.unwrap()
}

/// A server function without arguments, its answer read back.
pub async fn form_call<T: serde::de::DeserializeOwned>(session: &Session<'_>, function: &str) -> T {
    let r = session.post(&format!("/api/{function}"), &[]).await;
    assert_eq!(r.status(), 200, "{function}: {:?}", r.text().await);
    r.json().await.unwrap()
}

async fn stored(t: &TelephonyApp) -> (i64, Value) {
    let (active, raw): (i64, String) = sqlx::query_as(
        "SELECT active, settings FROM account_settings WHERE account_id = $1 AND section = 'telephony'",
    )
    .bind(&t.account_id)
    .fetch_one(t.pool())
    .await
    .unwrap();
    (active, serde_json::from_str(&raw).unwrap())
}

#[tokio::test]
async fn pick_lists_come_from_megaplan_and_uis_with_the_saved_credentials() {
    for backend in BACKENDS {
        let Some(t) = spawn(backend, &megaplan_staff(), &uis_staff(), json!({})).await else {
            continue;
        };
        let admin = t.admin().await;
        let lists: Picklists = form_call(&admin, "telephony_picklists").await;
        assert_eq!(lists.megaplan_error, None, "{backend:?}");
        assert_eq!(lists.uis_error, None, "{backend:?}");
        let employees: Vec<&str> = lists.employees.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(employees, ["3001", "3002"], "{backend:?}");
        assert!(lists.employees[0].name.contains("Алексеева"));
        assert!(!lists.programs.is_empty(), "schemes of the seed");
        assert!(
            lists.programs.iter().any(|p| !p.states.is_empty()),
            "schemes come with their states: {:?}",
            lists.programs
        );
        assert!(!lists.todo_categories.is_empty());
        assert_eq!(lists.uis_employees.len(), 1);
        assert_eq!(lists.uis_employees[0].id, "8001");
        assert!(!lists.statuses.is_empty());
        assert!(
            lists
                .virtual_numbers
                .iter()
                .any(|n| n.id == format!("+{VIRTUAL_NUMBER}")),
            "{:?}",
            lists.virtual_numbers
        );
        assert!(lists.uis_fields.iter().any(|f| f.id == "utm_source"));

        // Without UIS access the Megaplan lists still come, with the reason for the rest.
        sqlx::query("DELETE FROM uis_access WHERE account_id = $1")
            .bind(&t.account_id)
            .execute(t.pool())
            .await
            .unwrap();
        let lists: Picklists = form_call(&admin, "telephony_picklists").await;
        assert_eq!(
            lists.uis_error.as_ref().map(|e| e.code),
            Some(ErrorCode::NoUisAccess),
            "{backend:?}: a reason the page words in the admin's language"
        );
        let table: StaffTable = form_call(&admin, "telephony_settings_sync").await;
        assert_eq!(
            table.error.as_ref().map(|e| e.code),
            Some(ErrorCode::NoUisAccess),
            "{backend:?}: the sync says why too"
        );
        assert!(lists.virtual_numbers.is_empty());
        assert_eq!(lists.employees.len(), 2);

        // Not signed in: refused.
        let anon = Session::anonymous(&t.app);
        let r = anon.post("/api/telephony_picklists", &[]).await;
        assert_eq!(r.status(), 401);
    }
}

#[tokio::test]
async fn the_page_and_the_settings_sync_as_server_functions() {
    for backend in BACKENDS {
        let Some(t) = spawn(
            backend,
            &megaplan_staff(),
            &uis_staff(),
            json!({"default_responsible": "3001", "call_processing": {"todo": {"enabled": true}}}),
        )
        .await
        else {
            continue;
        };
        let admin = t.admin().await;
        let page: TelephonyPage = form_call(&admin, "telephony_page").await;
        assert!(page.form.active);
        assert_eq!(page.form.default_responsible.as_deref(), Some("3001"));
        assert!(page.form.call_processing.todo.enabled);
        assert_eq!(page.form.call_processing.todo.outcomes, ["lost", "failed"]);
        assert_eq!(
            page.form.call_processing.communication.duration_minutes, 120,
            "the model's default"
        );
        assert!(page.staff.rows.is_empty(), "nothing synced yet");

        let table: StaffTable = form_call(&admin, "telephony_settings_sync").await;
        assert_eq!(table.error, None, "{backend:?}");
        let row = |id: &str| {
            table
                .rows
                .iter()
                .find(|r| r.megaplan_user_id == id)
                .unwrap()
        };
        assert_eq!(row("3001").extension.as_deref(), Some("201"));
        assert!(!row("3001").warning);
        assert!(row("3002").warning, "no UIS employee has 202");
        let page: TelephonyPage = form_call(&admin, "telephony_page").await;
        assert_eq!(page.staff.rows.len(), 2);
    }
}

#[tokio::test]
async fn save_validates_the_whole_form_and_saves_nothing_half_way() {
    for backend in BACKENDS {
        let Some(t) = spawn(backend, &megaplan_staff(), &uis_staff(), json!({})).await else {
            continue;
        };
        let admin = t.admin().await;
        let page: TelephonyPage = form_call(&admin, "telephony_page").await;
        let mut form = serde_json::to_value(&page.form).unwrap();
        form["active"] = json!(true);
        form["call_processing"]["todo"]["enabled"] = json!(true);
        form["call_processing"]["todo"]["outcomes"] = json!([]);
        form["call_processing"]["communication"]["enabled"] = json!(true);
        form["call_processing"]["communication"]["duration_minutes"] = json!(45);
        form["call_processing"]["deal"]["enabled"] = json!(true);
        form["click_to_call"]["override_caller_id"] = json!(true);
        let r = call(&admin, "save_telephony", json!({ "form": form })).await;
        assert_eq!(r.status(), 200, "{backend:?}");
        let outcome: FormOutcome = r.json().await.unwrap();
        let fields: Vec<&str> = outcome.errors().iter().map(|e| e.field.as_str()).collect();
        for f in [
            "default_responsible",
            "call_processing.todo.outcomes",
            "call_processing.deal.program",
            "click_to_call.number",
        ] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        assert!(
            outcome
                .errors()
                .iter()
                .all(|e| e.code == ErrorCode::InvalidSetting
                    && e.detail.as_deref().is_some_and(|d| !d.is_empty()))
        );
        let (active, settings) = stored(&t).await;
        assert_eq!(
            (active, settings),
            (1, json!({})),
            "nothing saved: {backend:?}"
        );

        // Fixed: saved whole, and the page reads it back.
        form["default_responsible"] = json!("3002");
        form["call_processing"]["todo"]["outcomes"] = json!(["lost"]);
        form["call_processing"]["todo"]["responsible"] =
            json!({"kind": "employee", "employee": "3001"});
        form["call_processing"]["deal"]["enabled"] = json!(false);
        form["click_to_call"]["number"] = json!(format!("+{VIRTUAL_NUMBER}"));
        let outcome: FormOutcome = call(&admin, "save_telephony", json!({ "form": form }))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(outcome, FormOutcome::Saved, "{backend:?}");
        let (active, settings) = stored(&t).await;
        assert_eq!(active, 1);
        let model: domain::settings::TelephonySettings = serde_json::from_value(settings).unwrap();
        assert_eq!(model.call_processing.communication.duration_minutes, 45);
        assert_eq!(
            model.call_processing.todo.responsible,
            domain::settings::Responsible::Employee(
                domain::ids::MegaplanId::parse("3001").unwrap()
            )
        );
        let page: TelephonyPage = form_call(&admin, "telephony_page").await;
        assert_eq!(page.form.default_responsible.as_deref(), Some("3002"));
        assert_eq!(page.form.call_processing.todo.outcomes, ["lost"]);
        assert_eq!(
            page.form.click_to_call.number.as_deref(),
            Some(format!("+{VIRTUAL_NUMBER}").as_str())
        );

        // Switched off: kept as saved, the switch off.
        form["active"] = json!(false);
        let outcome: FormOutcome = call(&admin, "save_telephony", json!({ "form": form }))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(outcome, FormOutcome::Saved);
        assert_eq!(stored(&t).await.0, 0);
    }
}
