//! What a fresh emulator knows: credentials, virtual numbers, employees, statuses, sites, tags.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::data_api::{
    Employee, EmployeePhone, Extension, Scenario, Site, Status, Tag, VirtualNumber,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seed {
    /// Permanent API key accepted by both APIs as `access_token`.
    pub api_key: String,
    /// Keys that exist but are refused with `access_token_blocked` / `access_token_expired`.
    pub blocked_api_keys: Vec<String>,
    pub expired_api_keys: Vec<String>,
    /// `login.user` credentials (Call API user).
    pub login: String,
    pub password: String,
    pub app_id: i64,
    pub virtual_numbers: Vec<VirtualNumber>,
    pub employees: Vec<Employee>,
    pub statuses: Vec<Status>,
    pub sites: Vec<Site>,
    pub tags: Vec<Tag>,
}

fn employee(id: i64, first: &str, last: &str, email: &str, ext: &str, phone: &str) -> Employee {
    Employee {
        id,
        login: Some(email.split('@').next().unwrap_or(email).to_string()),
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        full_name: Some(format!("{first} {last}")),
        email: Some(email.into()),
        status: Some("available".into()),
        status_id: Some(1),
        call_recording: Some("all".into()),
        phone_numbers: vec![EmployeePhone {
            phone_id: Some(id * 10),
            phone_number: phone.into(),
            channels_count: Some(1),
            dial_time: Some(20),
            status: Some("active".into()),
        }],
        extension: Some(Extension {
            extension_phone_number: Some(ext.into()),
            extension_voice_mail_enabled: Some(false),
            extension_queue_enabled: Some(true),
        }),
        ..Employee::default()
    }
}

/// The seven standard statuses (uis-api.md §6).
pub fn standard_statuses() -> Vec<Status> {
    [
        ("available", "Доступен", true),
        ("break", "Перерыв", true),
        ("do_not_disturb", "Не беспокоить", true),
        ("not_at_workplace", "Нет на месте", true),
        ("not_at_work", "Нет на работе", false),
        ("auto_out_call", "Исходящий обзвон", true),
        ("unknown", "Неизвестно", false),
    ]
    .into_iter()
    .zip(1..)
    .map(|((mnemonic, name, worktime), id)| Status {
        id,
        name: Some(name.into()),
        mnemonic: Some(mnemonic.into()),
        is_deleted: Some(false),
        is_worktime: Some(worktime),
        is_select_allowed: Some(mnemonic != "unknown"),
        ..Status::default()
    })
    .collect()
}

impl Seed {
    /// The demo account; employees match the Megaplan emulator's demo seed (e-mail, extension).
    pub fn demo() -> Seed {
        let number = |id, n: &str, name: &str| VirtualNumber {
            id,
            virtual_phone_number: n.into(),
            status: Some("active".into()),
            kind: Some("va".into()),
            name: Some(name.into()),
            comment: None,
            scenarios: vec![Scenario {
                scenario_id: 100 + id,
                scenario_name: Some(format!("Сценарий «{name}»")),
            }],
        };
        Seed {
            api_key: "uis-demo-api-key".into(),
            blocked_api_keys: vec!["uis-blocked-key".into()],
            expired_api_keys: vec!["uis-expired-key".into()],
            login: "demo".into(),
            password: "demo-password".into(),
            app_id: 4242,
            virtual_numbers: vec![
                number(1, "74950000001", "Основной"),
                number(2, "74950000002", "Реклама"),
            ],
            employees: vec![
                // The Megaplan demo's staff, with its e-mails and extensions: the employee sync
                // matches them and a simulated call's card reaches the Megaplan user it rings.
                employee(
                    5001,
                    "Анна",
                    "Админова",
                    "admin@demo.megaplan",
                    "100",
                    "79160000101",
                ),
                employee(
                    5002,
                    "Иван",
                    "Петров",
                    "ivan@demo.megaplan",
                    "101",
                    "79160000102",
                ),
                employee(
                    5003,
                    "Мария",
                    "Сидорова",
                    "maria@demo.megaplan",
                    "102",
                    "79160000103",
                ),
            ],
            statuses: standard_statuses(),
            sites: vec![Site {
                id: 1,
                domain_name: Some("demo.example".into()),
                name: Some("Демо-сайт".into()),
                default_phone_number: Some("74950000002".into()),
                site_key: Some("demo-site-key".into()),
            }],
            tags: vec![
                Tag {
                    id: 1,
                    name: Some("Целевой".into()),
                    is_system: Some(false),
                },
                Tag {
                    id: 2,
                    name: Some("Спам".into()),
                    is_system: Some(false),
                },
            ],
        }
    }

    /// Text for the CLI: how to reach the emulated account.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "UIS emulator account (app_id {})", self.app_id);
        let _ = writeln!(s, "  Data API key (access_token): {}", self.api_key);
        let _ = writeln!(
            s,
            "  Call API login / password:   {} / {}",
            self.login, self.password
        );
        let _ = writeln!(s, "  Virtual numbers:");
        for n in &self.virtual_numbers {
            let _ = writeln!(
                s,
                "    {}  {}",
                n.virtual_phone_number,
                n.name.as_deref().unwrap_or("")
            );
        }
        let _ = writeln!(s, "  Employees:");
        for e in &self.employees {
            let ext = e
                .extension
                .as_ref()
                .and_then(|x| x.extension_phone_number.as_deref())
                .unwrap_or("-");
            let phone = e
                .phone_numbers
                .first()
                .map(|p| p.phone_number.as_str())
                .unwrap_or("-");
            let _ = writeln!(
                s,
                "    id {}  {}  ext {}  {}  phone {}",
                e.id,
                e.full_name.as_deref().unwrap_or(""),
                ext,
                e.email.as_deref().unwrap_or(""),
                phone
            );
        }
        s
    }
}
