//! What the emulated account starts with: login, employees with extensions, programs, todo categories.

use std::fmt::Write;

/// The seeded account. `Seed::demo()` is what demo mode and most tests use.
#[derive(Debug, Clone)]
pub struct Seed {
    pub login: String,
    pub password: String,
    pub account_name: String,
    pub employees: Vec<SeedEmployee>,
    pub programs: Vec<SeedProgram>,
    /// `(id, name, masterType)`; one must be `call` (item 12).
    pub todo_categories: Vec<(u64, String, String)>,
    /// `(id, name, masterType)` with scheduled, finished, success, fail, finish_without_result (§4).
    pub todo_statuses: Vec<(u64, String, String)>,
    /// Extra fields of ContractorHuman and ContractorCompany: `(id, name, hrName, isRequired)`.
    pub contractor_extra_fields: Vec<(u64, String, String, bool)>,
    /// Deal extra fields per program: `(id, name, hrName)`.
    pub deal_extra_fields: Vec<(u64, String, String)>,
    /// Who callRoute rings when the number has no responsible (item 15: "a default group").
    pub default_route: Vec<u64>,
    /// The application uuid the webhooks carry as `accountInfo.integrationUuid` (§9).
    pub integration_uuid: String,
}

#[derive(Debug, Clone)]
pub struct SeedEmployee {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    pub position: String,
    pub email: String,
    pub phone: String,
    /// The `callUserConfig.internalNumber`, if the employee has a PBX extension.
    pub extension: Option<String>,
    pub is_working: bool,
}

#[derive(Debug, Clone)]
pub struct SeedProgram {
    pub id: u64,
    pub name: String,
    /// `(id, name, type)`; the first one is the entry state, type ∈ active|positive|negative.
    pub states: Vec<(u64, String, String)>,
}

#[allow(clippy::too_many_arguments)] // a table row, read in one line per employee
fn employee(
    id: u64,
    first: &str,
    last: &str,
    position: &str,
    email: &str,
    phone: &str,
    ext: Option<&str>,
    working: bool,
) -> SeedEmployee {
    SeedEmployee {
        id,
        first_name: first.into(),
        last_name: last.into(),
        position: position.into(),
        email: email.into(),
        phone: phone.into(),
        extension: ext.map(str::to_string),
        is_working: working,
    }
}

fn states(list: &[(u64, &str, &str)]) -> Vec<(u64, String, String)> {
    list.iter()
        .map(|(id, n, t)| (*id, n.to_string(), t.to_string()))
        .collect()
}

impl Seed {
    /// The demo account: `admin@demo.megaplan` / `demo-password`.
    pub fn demo() -> Self {
        Seed {
            login: "admin@demo.megaplan".into(),
            password: "demo-password".into(),
            account_name: "demo".into(),
            employees: vec![
                employee(
                    1000001,
                    "Анна",
                    "Админова",
                    "Директор",
                    "admin@demo.megaplan",
                    "+7 495 000-00-01",
                    Some("100"),
                    true,
                ),
                employee(
                    1000002,
                    "Иван",
                    "Петров",
                    "Менеджер по продажам",
                    "ivan@demo.megaplan",
                    "+7 495 000-00-02",
                    Some("101"),
                    true,
                ),
                employee(
                    1000003,
                    "Мария",
                    "Сидорова",
                    "Менеджер по продажам",
                    "maria@demo.megaplan",
                    "+7 495 000-00-03",
                    Some("102"),
                    true,
                ),
                employee(
                    1000004,
                    "Олег",
                    "Уволенный",
                    "Стажёр",
                    "oleg@demo.megaplan",
                    "+7 495 000-00-04",
                    None,
                    false,
                ),
            ],
            programs: vec![
                SeedProgram {
                    id: 1,
                    name: "Продажи".into(),
                    states: states(&[
                        (11, "Новая", "active"),
                        (12, "В работе", "active"),
                        (13, "Успешно", "positive"),
                        (14, "Отказ", "negative"),
                    ]),
                },
                SeedProgram {
                    id: 2,
                    name: "Сервис".into(),
                    states: states(&[
                        (21, "Обращение", "active"),
                        (22, "Решено", "positive"),
                        (23, "Закрыто", "negative"),
                    ]),
                },
            ],
            todo_categories: vec![
                (1, "Звонок".into(), "call".into()),
                (2, "Встреча".into(), "meeting".into()),
                (3, "Дело".into(), "todo".into()),
            ],
            todo_statuses: vec![
                (1, "Запланировано".into(), "scheduled".into()),
                (2, "Завершено".into(), "finished".into()),
                (3, "Успешно".into(), "success".into()),
                (4, "Неуспешно".into(), "fail".into()),
                (5, "Без результата".into(), "finish_without_result".into()),
            ],
            contractor_extra_fields: vec![
                (
                    183,
                    "Category183CustomFieldIstochnik".into(),
                    "Источник".into(),
                    false,
                ),
                (
                    184,
                    "Category184CustomFieldRegion".into(),
                    "Регион".into(),
                    false,
                ),
            ],
            deal_extra_fields: vec![(
                130,
                "Category130CustomFieldIstochnik".into(),
                "Источник".into(),
            )],
            default_route: vec![1000002, 1000003],
            integration_uuid: "6f2b8c1e-0d3a-4c5e-9a1b-00000000de70".into(),
        }
    }

    /// What the CLI prints so a person can log in and configure the product against the emulator.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Megaplan emulator account `{}`", self.account_name);
        let _ = writeln!(s, "  login:    {}", self.login);
        let _ = writeln!(s, "  password: {}", self.password);
        let _ = writeln!(s, "  employees (id, name, extension):");
        for e in &self.employees {
            let _ = writeln!(
                s,
                "    {}  {} {}{}  ext {}",
                e.id,
                e.last_name,
                e.first_name,
                if e.is_working { "" } else { " (fired)" },
                e.extension.as_deref().unwrap_or("-")
            );
        }
        let _ = writeln!(s, "  programs (id, name: states):");
        for p in &self.programs {
            let st: Vec<String> = p
                .states
                .iter()
                .map(|(id, n, t)| format!("{id} {n} [{t}]"))
                .collect();
            let _ = writeln!(s, "    {}  {}: {}", p.id, p.name, st.join(", "));
        }
        let _ = writeln!(s, "  todo categories (id, name, masterType):");
        for (id, n, t) in &self.todo_categories {
            let _ = writeln!(s, "    {id}  {n} ({t})");
        }
        let _ = writeln!(s, "  integration uuid: {}", self.integration_uuid);
        s
    }
}
