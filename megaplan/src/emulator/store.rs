//! The emulated account's in-memory data, built from a `Seed` (items 8–16).

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde_json::{Value, json};

use super::seed::Seed;
use super::wire::id_of;

/// A pop-up event as the telephony widget would receive it (item 14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetEvent {
    /// The employee whose widget shows the call; `None` when nobody could be resolved.
    pub employee_id: Option<String>,
    pub call_id: String,
    pub provider_id: Option<String>,
    pub call_type: String,
    pub state: String,
    pub record_links: Vec<String>,
}

/// An uploaded file (item 16).
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub name: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

pub(crate) struct TokenRec {
    pub expires_at: Instant,
}

#[derive(Default)]
pub(crate) struct Store {
    counters: HashMap<&'static str, u64>,
    pub employees: BTreeMap<u64, Value>,
    pub call_user_configs: BTreeMap<u64, Value>,
    pub contractors: BTreeMap<u64, Value>,
    pub contractor_extra_fields: Vec<Value>,
    pub todo_categories: Vec<Value>,
    pub todo_statuses: Vec<Value>,
    pub todos: BTreeMap<u64, Value>,
    pub comments: BTreeMap<u64, Value>,
    pub programs: BTreeMap<u64, Value>,
    pub deal_fields: Vec<Value>,
    pub deals: BTreeMap<u64, Value>,
    pub call_infos: BTreeMap<u64, Value>,
    pub widget_events: Vec<WidgetEvent>,
    pub files: BTreeMap<u64, StoredFile>,
    pub tokens: HashMap<String, TokenRec>,
    pub refresh_tokens: HashMap<String, ()>,
    pub default_route: Vec<u64>,
    /// Password logins refused for a wrong login or password.
    pub refused_logins: usize,
    /// The account's password once changed (`Emulator::change_password`); the seed's until then.
    pub password: Option<String>,
}

impl Store {
    pub fn from_seed(seed: &Seed) -> Self {
        let mut s = Store {
            default_route: seed.default_route.clone(),
            ..Store::default()
        };
        for e in &seed.employees {
            s.employees.insert(e.id, json!({"contentType":"Employee","id":e.id.to_string(),
                "name":format!("{} {}", e.last_name, e.first_name),"firstName":e.first_name,"lastName":e.last_name,
                "middleName":"","position":e.position,"isWorking":e.is_working,"canLogin":e.is_working,
                "contactInfo":[{"contentType":"ContactInfo","type":"email","value":e.email,"comment":null,"isMain":true},
                               {"contentType":"ContactInfo","type":"phone","value":e.phone,"comment":"","isMain":true}]}));
            if let Some(ext) = &e.extension {
                let id = s.next_id("callUserConfig");
                s.call_user_configs.insert(id, json!({"contentType":"CallUserConfig","id":id.to_string(),
                    "employee":{"contentType":"Employee","id":e.id.to_string()},"internalNumber":ext,"settings":"{}"}));
            }
        }
        for p in &seed.programs {
            let states: Vec<Value> = p.states.iter().enumerate().map(|(i, (id, name, kind))| {
                json!({"contentType":"ProgramState","id":id.to_string(),"name":name,"type":kind,"isEntry":i == 0})
            }).collect();
            // Every state may move to every other one; real schemes are stricter but the shape is the same.
            let mut transitions = Vec::new();
            for from in &states {
                for to in &states {
                    if from["id"] != to["id"] {
                        let id = s.next_id("transition");
                        transitions.push(json!({"contentType":"ProgramTransition","id":id.to_string(),
                            "from":from,"to":to,"name":format!("→ {}", to["name"].as_str().unwrap_or(""))}));
                    }
                }
            }
            s.programs.insert(
                p.id,
                json!({"contentType":"Program","id":p.id.to_string(),"name":p.name,
                "states":states,"transitions":transitions}),
            );
        }
        s.todo_categories = seed.todo_categories.iter().map(|(id, n, t)| {
            json!({"contentType":"TodoCategory","id":id.to_string(),"name":n,"masterType":t})
        }).collect();
        s.todo_statuses = seed.todo_statuses.iter().map(|(id, n, t)| {
            json!({"contentType":"TodoStatus","id":id.to_string(),"name":n,"masterType":t})
        }).collect();
        s.contractor_extra_fields = seed.contractor_extra_fields.iter().map(|(id, n, hr, req)| {
            json!({"contentType":"StringField","id":id.to_string(),"name":n,"hrName":hr,"type":"string",
                "isRequired":req,"isMultiple":false,"settings":[]})
        }).collect();
        s.deal_fields = seed.deal_extra_fields.iter().map(|(id, n, hr)| {
            json!({"contentType":"StringField","id":id.to_string(),"name":n,"hrName":hr,"type":"string",
                "isRequired":false,"isMultiple":false,"settings":[]})
        }).collect();
        s
    }

    /// Ids per resource, counting up like Megaplan's; contractors start past the employees.
    pub fn next_id(&mut self, kind: &'static str) -> u64 {
        let start = if kind == "contractor" { 1_000_100 } else { 1 };
        let c = self.counters.entry(kind).or_insert(start - 1);
        *c += 1;
        *c
    }

    pub fn employee_exists(&self, id: u64) -> bool {
        self.employees.contains_key(&id)
    }

    /// Whether a link in a request body is acceptable: it must exist unless that rule is turned off (inferred).
    pub fn link_exists(&self, content_type: &str, id: u64) -> bool {
        !super::inferred::UNKNOWN_LINK_IS_422 || self.exists(content_type, id)
    }

    /// Whether an entity exists (owners in paths always must).
    pub fn exists(&self, content_type: &str, id: u64) -> bool {
        match content_type {
            "Employee" => self.employees.contains_key(&id),
            "ContractorHuman" | "ContractorCompany" => self
                .contractors
                .get(&id)
                .is_some_and(|c| c["contentType"] == content_type),
            "Contractor" => self.contractors.contains_key(&id),
            "Deal" => self.deals.contains_key(&id),
            "Todo" => self.todos.contains_key(&id),
            "CallInfo" => self.call_infos.contains_key(&id),
            "Program" => self.programs.contains_key(&id),
            "TodoCategory" => self
                .todo_categories
                .iter()
                .any(|c| c.get("id").and_then(id_of) == Some(id)),
            "TodoStatus" => self
                .todo_statuses
                .iter()
                .any(|c| c.get("id").and_then(id_of) == Some(id)),
            "File" => self.files.contains_key(&id),
            _ => true,
        }
    }

    /// The employee whose `callUserConfig.internalNumber` equals `number` (digits compared).
    pub fn employee_by_extension(&self, number: &str) -> Option<u64> {
        let want = crate::types::phone_digits(number);
        self.call_user_configs.values().find_map(|c| {
            let ext = c["internalNumber"].as_str()?;
            // `sip:101@host` counts as 101 (§2).
            let ext = ext
                .strip_prefix("sip:")
                .map(|s| s.split('@').next().unwrap_or(s))
                .unwrap_or(ext);
            (crate::types::phone_digits(ext) == want)
                .then(|| c["employee"]["id"].as_str().and_then(|s| s.parse().ok()))?
        })
    }
}
