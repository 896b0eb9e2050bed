//! Helpers of the telephony tests: both emulators with seeds built here (so the two agree on purpose),
//! a server pointed at them, an account whose Megaplan credentials and UIS access are stored as the
//! settings page stores them, its telephony settings, and a signed-in admin.

use megaplan::emulator::{Emulator as Megaplan, EmulatorConfig as MegaplanConfig, SeedEmployee};
use serde_json::{Value, json};
use uis::data_api::{Employee, EmployeePhone, Extension};
use uis::emulator::{Emulator as Uis, EmulatorConfig as UisConfig, Seed as UisSeed};
use uis_megaplan::accounts::cipher::Cipher;
use uis_megaplan::config::ServeArgs;
use uis_megaplan::testing::{TestBackend, TestDb};

use crate::helpers::TestApp;
use crate::signed_in::{self, Session};

/// A Megaplan employee of the test seed: id, last name, e-mail, phone, extension.
pub struct Mp(
    pub u64,
    pub &'static str,
    pub &'static str,
    pub &'static str,
    pub Option<&'static str>,
);

/// A UIS employee of the test seed: id, last name, e-mail, extension, phone.
pub struct Ui(
    pub i64,
    pub &'static str,
    pub &'static str,
    pub &'static str,
    pub &'static str,
);

/// The sales team of most telephony tests: Алексеева, Борисов and Васильева (Megaplan 2001–2003,
/// extensions 201–203) and their UIS employees 7001–7003, reached at 7916000020x.
pub fn team() -> (Vec<Mp>, Vec<Ui>) {
    // Megaplan id, UIS id, last name, e-mail, Megaplan phone, extension, UIS phone.
    type S = &'static str;
    type Person = (u64, i64, S, S, S, S, S);
    #[rustfmt::skip]
    const TEAM: [Person; 3] = [
        (2001, 7001, "Алексеева", "alekseeva@acme.example", "+7 916 100-00-01", "201", "79160000201"),
        (2002, 7002, "Борисов", "borisov@acme.example", "+7 916 100-00-02", "202", "79160000202"),
        (2003, 7003, "Васильева", "vasilieva@acme.example", "+7 916 100-00-03", "203", "79160000203"),
    ];
    TEAM.iter()
        .map(|&(mp, uis, last, email, phone, ext, uis_phone)| {
            (
                Mp(mp, last, email, phone, Some(ext)),
                Ui(uis, last, email, ext, uis_phone),
            )
        })
        .unzip()
}

/// The account's first virtual number.
pub const VIRTUAL_NUMBER: &str = "74951234567";

pub struct TelephonyApp {
    pub app: TestApp,
    pub megaplan: Megaplan,
    pub uis: Uis,
    pub account_id: String,
    pub key: String,
}

pub fn megaplan_seed(staff: &[Mp]) -> megaplan::emulator::Seed {
    let mut seed = megaplan::emulator::Seed::demo();
    seed.employees = staff
        .iter()
        .map(|Mp(id, last, email, phone, ext)| SeedEmployee {
            id: *id,
            first_name: "Тест".into(),
            last_name: (*last).into(),
            position: "Менеджер".into(),
            email: (*email).into(),
            phone: (*phone).into(),
            extension: ext.map(str::to_owned),
            is_working: true,
        })
        .collect();
    seed.default_route = staff.iter().map(|m| m.0).take(1).collect();
    seed
}

pub fn uis_employee(Ui(id, last, email, ext, phone): &Ui) -> Employee {
    Employee {
        id: *id,
        first_name: Some("Тест".into()),
        last_name: Some((*last).into()),
        full_name: Some(format!("Тест {last}")),
        email: (!email.is_empty()).then(|| (*email).into()),
        status: Some("available".into()),
        status_id: Some(1),
        phone_numbers: vec![EmployeePhone {
            phone_id: Some(id * 10),
            phone_number: (*phone).into(),
            status: Some("active".into()),
            ..EmployeePhone::default()
        }],
        extension: Some(Extension {
            extension_phone_number: Some((*ext).into()),
            ..Extension::default()
        }),
        ..Employee::default()
    }
}

pub fn uis_seed(staff: &[Ui]) -> UisSeed {
    let mut seed = UisSeed::demo();
    seed.employees = staff.iter().map(uis_employee).collect();
    // Numbers libphonenumber accepts, so the settings' «Номер для звонка по клику» can be one of them.
    seed.virtual_numbers[0].virtual_phone_number = VIRTUAL_NUMBER.into();
    seed.virtual_numbers[1].virtual_phone_number = "74957654321".into();
    seed
}

/// The server, both emulators and the account "acme" wired to them; `settings` is the telephony section.
pub async fn spawn(
    backend: TestBackend,
    megaplan_staff: &[Mp],
    uis_staff: &[Ui],
    settings: Value,
) -> Option<TelephonyApp> {
    let db = TestDb::new(backend).await?;
    let megaplan = Megaplan::start(MegaplanConfig {
        seed: megaplan_seed(megaplan_staff),
        ..MegaplanConfig::default()
    })
    .expect("Megaplan emulator");
    let uis = Uis::start(UisConfig {
        seed: uis_seed(uis_staff),
        ..UisConfig::default()
    })
    .expect("UIS emulator");
    let mut args = ServeArgs::for_tests(db.data_dir.clone(), Some(db.url.clone()));
    args.uis_data_api_url = uis.data_api_url();
    args.uis_call_api_url = uis.call_api_url();
    // As when the set was added on the settings page: its domain passed the allow-list.
    args.megaplan_allow_hosts = vec![megaplan.local_addr().to_string()];
    let server = uis_megaplan::start(&args).await.expect("server starts");
    let app = TestApp::new(server, db);
    let pool = app.server.state.db.pool.clone();
    uis_megaplan::auth::create_admin(
        &pool,
        signed_in::ACCOUNT,
        signed_in::LOGIN,
        signed_in::PASSWORD,
    )
    .await
    .expect("admin");
    let (account_id, key): (String, String) =
        sqlx::query_as("SELECT id, webhook_key FROM accounts WHERE name = $1")
            .bind(signed_in::ACCOUNT)
            .fetch_one(&pool)
            .await
            .unwrap();
    let cipher = Cipher::new(&app.server.state.secret);
    let credential = "cred-1";
    sqlx::query(
        "INSERT INTO megaplan_credentials (id, account_id, name, login, domain, password_enc, token_enc, status, checked_at, created_at) \
         VALUES ($1, $2, 'main', $3, $4, $5, NULL, 'working', 0, 0)",
    )
    .bind(credential)
    .bind(&account_id)
    .bind(&megaplan.seed().login)
    .bind(megaplan.base_url().as_str())
    .bind(
        cipher
            .seal(&format!("megaplan_password:{credential}"), &megaplan.seed().password)
            .unwrap(),
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO account_megaplan (account_id, credential_id, selected_at) VALUES ($1, $2, 0)",
    )
    .bind(&account_id)
    .bind(credential)
    .execute(&pool)
    .await
    .unwrap();
    let (login, password) = uis.login();
    sqlx::query(
        "INSERT INTO uis_access (account_id, data_api_key_enc, call_api_login, call_api_password_enc, checked_at) \
         VALUES ($1, $2, $3, $4, 0)",
    )
    .bind(&account_id)
    .bind(
        cipher
            .seal(&format!("uis_data_api_key:{account_id}"), &uis.api_key())
            .unwrap(),
    )
    .bind(&login)
    .bind(
        cipher
            .seal(&format!("uis_call_api_password:{account_id}"), &password)
            .unwrap(),
    )
    .execute(&pool)
    .await
    .unwrap();
    let t = TelephonyApp {
        app,
        megaplan,
        uis,
        account_id,
        key,
    };
    t.set_settings(settings).await;
    Some(t)
}

impl TelephonyApp {
    pub fn pool(&self) -> &sqlx::AnyPool {
        &self.app.server.state.db.pool
    }

    /// Saves the telephony section as the settings page does (active).
    pub async fn set_settings(&self, settings: Value) {
        self.set_section(true, settings).await;
    }

    pub async fn set_section(&self, active: bool, settings: Value) {
        sqlx::query(
            "INSERT INTO account_settings (account_id, section, active, settings, updated_at) \
             VALUES ($1, 'telephony', $3, $2, 0) \
             ON CONFLICT (account_id, section) DO UPDATE SET settings = excluded.settings, active = excluded.active",
        )
        .bind(&self.account_id)
        .bind(settings.to_string())
        .bind(i64::from(active))
        .execute(self.pool())
        .await
        .unwrap();
    }

    pub async fn admin(&self) -> Session<'_> {
        signed_in::admin_session(&self.app).await
    }

    /// T1 through the admin API; the report as JSON.
    pub async fn sync_telephony_settings(&self) -> Value {
        let admin = self.admin().await;
        let r = admin.post("/api/telephony/settings-sync", &[]).await;
        assert_eq!(r.status(), 200, "settings sync: {:?}", r.text().await);
        r.json().await.unwrap()
    }

    /// A Megaplan client of the account's Megaplan, as a test's own hands.
    pub fn megaplan_client(&self) -> megaplan::Client {
        megaplan::Client::new(
            self.megaplan.base_url(),
            megaplan::Credentials {
                login: self.megaplan.seed().login.clone(),
                password: self.megaplan.seed().password.clone(),
            },
        )
    }

    /// Creates a client with `phone` whose responsible is Megaplan employee `responsible`.
    pub async fn client_with_manager(&self, phone: &str, responsible: u64) {
        self.megaplan_client()
            .create_contractor_human(&megaplan::NewContractorHuman {
                first_name: Some("Клиент".into()),
                contact_info: vec![megaplan::ContactInfo::phone(phone)],
                responsibles: vec![megaplan::Link::employee(responsible.to_string())],
                ..Default::default()
            })
            .await
            .expect("client created");
    }

    pub fn route_url(&self) -> url::Url {
        url::Url::parse(&format!(
            "{}/hooks/uis/{}/route",
            self.app.server.url(),
            self.key
        ))
        .unwrap()
    }

    pub fn token(&self) -> String {
        uis_megaplan::telephony::megaplan_contract::token(
            &self.app.server.state.secret,
            &self.account_id,
        )
    }

    /// A Megaplan telephony request as the widget sends it.
    pub async fn megaplan_request(
        &self,
        action: &str,
        body: Value,
        token: Option<&str>,
    ) -> (u16, Value) {
        let mut r = self
            .app
            .http
            .post(format!(
                "{}/hooks/megaplan/{}/telephony/{action}",
                self.app.server.url(),
                self.key
            ))
            .json(&body);
        if let Some(t) = token {
            r = r.header("x-uis-megaplan-token", t);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(json!(null)))
    }

    /// `GET /hooks/megaplan/{key}/telephony/{action}?{query}`, as the widget asks; status and JSON
    /// answer, and the answer's CORS origin header.
    pub async fn megaplan_get(
        &self,
        action: &str,
        query: &str,
        token: Option<&str>,
    ) -> (u16, Value, Option<String>) {
        let mut r = self.app.http.get(format!(
            "{}/hooks/megaplan/{}/telephony/{action}?{query}",
            self.app.server.url(),
            self.key
        ));
        if let Some(t) = token {
            r = r.header("x-uis-megaplan-token", t);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        let origin = r
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (status, r.json().await.unwrap_or(json!(null)), origin)
    }

    pub async fn stop(self) {
        self.app.server.shutdown().await.unwrap();
        self.megaplan.shutdown().await;
        self.uis.shutdown().await;
    }
}
