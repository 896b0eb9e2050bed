//! T1 (telephony settings from Megaplan) and T2 (employees into UIS), on SQLite and PostgreSQL.

use std::time::{Duration, Instant};

use app::api::ErrorCode;
use app::i18n::Lang;
use app::telephony::SyncRunView;
use serde_json::{Value, json};

use crate::helpers::BACKENDS;
use crate::telephony_settings::form_call;
use crate::telephony_support::{Mp, TelephonyApp, Ui, spawn};

fn megaplan_staff() -> Vec<Mp> {
    vec![
        Mp(
            2001,
            "Алексеева",
            "alekseeva@acme.example",
            "+7 916 100-00-01",
            Some("201"),
        ),
        Mp(
            2002,
            "Борисов",
            "borisov@acme.example",
            "+7 916 100-00-02",
            Some("sip:202@pbx.acme.example"),
        ),
        Mp(
            2003,
            "Васильева",
            "vasilieva@acme.example",
            "+7 916 100-00-03",
            Some("203"),
        ),
        Mp(
            2004,
            "Григорьев",
            "grigoriev@acme.example",
            "+7 916 100-00-04",
            None,
        ),
        Mp(2005, "Безпочтовая", "", "+7 916 100-00-05", None),
        Mp(2006, "Безномерной", "nophone@acme.example", "", None),
    ]
}

fn uis_staff() -> Vec<Ui> {
    vec![
        Ui(
            7001,
            "Алексеева",
            "ALEKSEEVA@acme.example",
            "201",
            "79160000201",
        ),
        Ui(7002, "Борисов", "other@acme.example", "202", "79160000202"),
        Ui(
            7009,
            "Дмитриев",
            "grigoriev@acme.example",
            "209",
            "79160000209",
        ),
    ]
}

fn ids(rows: &Value) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["megaplan_user_id"].as_str().unwrap().to_owned())
        .collect()
}

fn row<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["staff"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["megaplan_user_id"] == id)
        .unwrap_or_else(|| panic!("no row for {id} in {report}"))
}

#[tokio::test]
async fn telephony_settings_sync_stores_the_mapping_and_reports_an_extension_without_uis_employee()
{
    for backend in BACKENDS {
        let Some(t) = spawn(backend, &megaplan_staff(), &uis_staff(), json!({})).await else {
            continue;
        };
        let report = t.sync_telephony_settings().await;

        let a = row(&report, "2001");
        assert_eq!(a["extension"], "201");
        assert_eq!(a["uis_employee_id"], 7001);
        assert_eq!(a["uis_phone"], "79160000201");
        assert_eq!(a["matched_by"], "extension");
        // `sip:202@host` is the extension 202.
        assert_eq!(row(&report, "2002")["uis_employee_id"], 7002);
        // No extension in Megaplan, but the same e-mail in UIS.
        assert_eq!(row(&report, "2004")["uis_employee_id"], 7009);
        assert_eq!(row(&report, "2004")["matched_by"], "email");

        assert_eq!(
            ids(&report["extension_without_uis_employee"]),
            ["2003"],
            "{backend:?}: the card of 2003 will not pop up"
        );
        let mut unlisted = ids(&report["not_in_telephony_settings"]);
        unlisted.sort();
        assert_eq!(unlisted, ["2004", "2005", "2006"], "{backend:?}");

        // Stored: the table the page shows and the worker reads.
        let admin = t.admin().await;
        let stored: Value = admin
            .get("/api/telephony/staff")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(stored, report, "{backend:?}");
        let pool = t.pool();
        let by_uis = uis_megaplan::telephony::staff::by_uis_employee(pool, &t.account_id, 7001)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(by_uis.megaplan_user_id, "2001");
        let by_ext = uis_megaplan::telephony::staff::by_extension(pool, &t.account_id, "202")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(by_ext.megaplan_user_id, "2002");

        // What the worker reads to pick whom the pop-up card goes to (the rules' `Known.staff`).
        let known = uis_megaplan::telephony::staff::known_staff(pool, &t.account_id)
            .await
            .unwrap();
        let uis = |id: i64| domain::UisEmployeeId(id);
        assert_eq!(
            known.megaplan(uis(7001)).map(|m| m.as_str()),
            Some("2001"),
            "by extension"
        );
        assert_eq!(
            known
                .megaplan_by_extension_of(uis(7002))
                .map(|m| m.as_str()),
            Some("2002")
        );
        // 7009 has extension 209, which nobody has in Megaplan: linked by e-mail only.
        assert_eq!(known.extension(uis(7009)).map(|x| x.as_str()), Some("209"));
        assert_eq!(known.megaplan_by_extension_of(uis(7009)), None);
        assert_eq!(known.megaplan(uis(7009)).map(|m| m.as_str()), Some("2004"));

        // A second sync replaces, it does not add.
        let again = t.sync_telephony_settings().await;
        assert_eq!(again["staff"].as_array().unwrap().len(), 6, "{backend:?}");
        t.stop().await;
    }
}

#[tokio::test]
async fn telephony_admin_api_needs_a_session() {
    for backend in BACKENDS {
        let Some(t) = spawn(backend, &megaplan_staff(), &uis_staff(), json!({})).await else {
            continue;
        };
        let r = t
            .app
            .http
            .post(t.app.url("/api/telephony/settings-sync"))
            .header("origin", t.app.server.url())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        t.stop().await;
    }
}

async fn run_employee_sync(t: &TelephonyApp) -> Value {
    let admin = t.admin().await;
    let r = admin.post("/api/telephony/employee-sync", &[]).await;
    assert_eq!(r.status(), 202);
    let started: Value = r.json().await.unwrap();
    let run = started["run_id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r: Value = admin
            .get(&format!("/api/telephony/employee-sync?run={run}"))
            .await
            .json()
            .await
            .unwrap();
        if r["status"] != "running" {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "employee sync still running: {r}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn result<'a>(run: &'a Value, id: &str) -> &'a Value {
    run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["megaplan_user_id"] == id)
        .unwrap_or_else(|| panic!("no result for {id} in {run}"))
}

#[tokio::test]
async fn employee_sync_creates_selected_employees_matches_by_email_reports_failures_and_is_idempotent()
 {
    for backend in BACKENDS {
        let settings = json!({"sync": {"sync_employees": true,
            "employees": ["2001", "2003", "2005", "2006", "2999"]}});
        let Some(t) = spawn(backend, &megaplan_staff(), &uis_staff(), settings).await else {
            continue;
        };
        let run = run_employee_sync(&t).await;
        assert_eq!(run["status"], "done", "{backend:?}: {run}");
        assert_eq!(run["total"], 5);
        assert_eq!(run["processed"], 5);

        let matched = result(&run, "2001");
        assert_eq!(matched["outcome"], "matched", "{run}");
        assert_eq!(matched["uis_employee_id"], 7001);

        let created = result(&run, "2003");
        assert_eq!(created["outcome"], "created", "{run}");
        let uis_id = created["uis_employee_id"].as_i64().unwrap();
        let in_uis = t
            .uis
            .employees()
            .into_iter()
            .find(|e| e.id == uis_id)
            .expect("created in the UIS emulator");
        assert_eq!(in_uis.email.as_deref(), Some("vasilieva@acme.example"));
        assert_eq!(in_uis.last_name.as_deref(), Some("Васильева"));
        assert_eq!(in_uis.phone_numbers[0].phone_number, "79161000003");
        assert_eq!(
            in_uis
                .extension
                .as_ref()
                .and_then(|x| x.extension_phone_number.as_deref()),
            Some("203")
        );

        // Reasons are codes: the page words them in the admin's language.
        assert_eq!(matched["reason"], "same_email", "{run}");
        assert_eq!(created["reason"], "created", "{run}");
        for (id, why) in [
            ("2005", "no_email"),
            ("2006", "no_phone"),
            ("2999", "not_found"),
        ] {
            let r = result(&run, id);
            assert_eq!(r["outcome"], "failed", "{id}: {r}");
            assert_eq!(r["reason"], why, "{id}: {r}");
        }
        let count = t.uis.employees().len();

        // Twice: nothing new in UIS, the created one is now matched.
        let again = run_employee_sync(&t).await;
        assert_eq!(again["status"], "done");
        assert_eq!(result(&again, "2003")["outcome"], "matched", "{again}");
        assert_eq!(result(&again, "2003")["uis_employee_id"], uis_id);
        assert_eq!(result(&again, "2001")["outcome"], "matched");
        assert_eq!(t.uis.employees().len(), count, "{backend:?}: idempotent");

        // The page shows the latest run by default.
        let latest: Value = t
            .admin()
            .await
            .get("/api/telephony/employee-sync")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(latest["id"], again["id"]);
        t.stop().await;
    }
}

#[tokio::test]
async fn employee_sync_reports_a_uis_refusal_with_its_reason() {
    for backend in BACKENDS {
        let settings = json!({"sync": {"sync_employees": true, "employees": ["2003"]}});
        let Some(t) = spawn(backend, &megaplan_staff(), &uis_staff(), settings).await else {
            continue;
        };
        t.uis.inject_error(
            Some("create.employees"),
            uis::Mnemonic::InvalidParameterValue,
            1,
        );
        let run = run_employee_sync(&t).await;
        let r = result(&run, "2003");
        assert_eq!(r["outcome"], "failed", "{run}");
        let reason = r["reason"].as_str().unwrap();
        assert!(reason.starts_with("uis_refused: "), "{r}");
        // UIS's own words come with it.
        assert!(reason.len() > "uis_refused: ".len(), "{r}");
        t.stop().await;
    }
}

async fn latest_run(t: &TelephonyApp) -> Option<uis_megaplan::telephony::employee_sync::Run> {
    uis_megaplan::telephony::employee_sync::run(t.pool(), &t.account_id, None)
        .await
        .unwrap()
}

async fn wait_finished(t: &TelephonyApp) -> uis_megaplan::telephony::employee_sync::Run {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(run) = latest_run(t).await
            && run.status != "running"
        {
            return run;
        }
        assert!(
            Instant::now() < deadline,
            "the employee sync did not finish"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn scheduled_employee_sync_runs_where_switched_on_and_one_run_at_a_time_across_servers() {
    use uis_megaplan::telephony::employee_sync::{Running, scheduled, start};
    for backend in BACKENDS {
        let settings = json!({"sync": {"sync_employees": true, "employees": ["2003"]}});
        let Some(t) = spawn(backend, &megaplan_staff(), &uis_staff(), settings).await else {
            continue;
        };
        let tel = &t.app.server.telephony;
        // UIS is slow, so the run is still going when a second server wants to start one.
        t.uis.set_api_delay(Some(Duration::from_millis(300)));
        scheduled(&tel.access, &tel.running).await;
        let first = latest_run(&t).await.expect("a scheduled run");
        assert_eq!(first.trigger_kind, "schedule");
        let other_server = Running::default();
        let joined = start(&tel.access, &other_server, &t.account_id, "manual")
            .await
            .unwrap();
        assert_eq!(joined, first.id, "{backend:?}: one run at a time");
        let done = wait_finished(&t).await;
        assert_eq!(done.id, first.id);
        assert_eq!(done.status, "done");
        assert_eq!(done.results[0].outcome, "created");
        t.uis.set_api_delay(None);

        // Finished: the lease is free again.
        let next = start(&tel.access, &other_server, &t.account_id, "manual")
            .await
            .unwrap();
        assert_ne!(next, first.id);
        wait_finished(&t).await;

        // Switched off: the schedule leaves the account alone.
        t.set_settings(json!({"sync": {"sync_employees": false, "employees": ["2003"]}}))
            .await;
        scheduled(&tel.access, &tel.running).await;
        assert_eq!(latest_run(&t).await.unwrap().id, next, "{backend:?}");
        t.stop().await;
    }
}

#[tokio::test]
async fn syncs_say_what_is_missing_when_the_account_is_not_connected() {
    for backend in BACKENDS {
        let settings = json!({"sync": {"sync_employees": true, "employees": ["2003"]}});
        let Some(t) = spawn(backend, &megaplan_staff(), &uis_staff(), settings).await else {
            continue;
        };
        sqlx::query("DELETE FROM uis_access WHERE account_id = $1")
            .bind(&t.account_id)
            .execute(t.pool())
            .await
            .unwrap();
        let run = run_employee_sync(&t).await;
        assert_eq!(run["status"], "failed", "{backend:?}: {run}");
        assert!(
            run["error"].as_str().unwrap().contains("UIS access"),
            "{run}"
        );
        assert_eq!(run["error_code"], "NoUisAccess", "{run}");

        // The page gets the reason as a code it words in the admin's language.
        let admin = t.admin().await;
        let view: Option<SyncRunView> = form_call(&admin, "telephony_employee_sync_run").await;
        let error = view.and_then(|v| v.error);
        assert_eq!(error.as_ref().map(|e| e.code), Some(ErrorCode::NoUisAccess));
        let e = error.unwrap();
        assert!(
            Lang::Ru
                .error_text(e.code, e.detail.as_deref())
                .contains("Доступ к UIS еще не сохранен")
        );

        let r = admin.post("/api/telephony/settings-sync", &[]).await;
        assert_eq!(r.status(), 502);
        let body: Value = r.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains("UIS access"),
            "{body}"
        );
        t.stop().await;
    }
}
