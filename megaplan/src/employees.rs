//! Employees and their PBX extensions, `callUserConfig` (megaplan-api.md §2).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::client::{Client, HasLink, Request};
use crate::error::Result;
use crate::types::{ContactInfo, Id, Link};

/// An employee as `GET /api/v3/employee` lists it (§2, DEALJSON shape).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Employee {
    pub id: Id,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub position: Option<String>,
    #[serde(default, deserialize_with = "crate::types::null_default")]
    pub contact_info: Vec<ContactInfo>,
    /// Fired employees have `isWorking:false` and must be skipped (§2).
    #[serde(default = "yes", deserialize_with = "null_is_yes")]
    pub is_working: bool,
    #[serde(default)]
    pub can_login: Option<bool>,
}

fn yes() -> bool {
    true
}

/// A `null` working flag counts as working: only an explicit `false` means fired.
fn null_is_yes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(true))
}

impl Employee {
    /// The email is the `contactInfo` item with `type=="email"` (§2).
    pub fn email(&self) -> Option<&str> {
        self.contact_info
            .iter()
            .find(|c| c.kind == "email")
            .map(|c| c.value.as_str())
    }
    pub fn phones(&self) -> impl Iterator<Item = &str> {
        self.contact_info
            .iter()
            .filter(|c| c.kind == "phone")
            .map(|c| c.value.as_str())
    }
    /// "Last First" as Megaplan's `name`, or built from the parts.
    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            [self.last_name.as_deref(), self.first_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        })
    }
}

impl HasLink for Employee {
    fn link(&self) -> Link {
        Link::new("Employee", self.id.clone())
    }
}

/// "Пользовательские настройки телефонии": employee ↔ internal number (§2).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallUserConfig {
    pub id: Id,
    pub employee: Link,
    /// A string, possibly `sip:number@host` (§2).
    #[serde(default)]
    pub internal_number: Option<String>,
    /// Opaque JSON string whose content is unknown (§2 `?`).
    #[serde(default)]
    pub settings: Option<String>,
}

impl HasLink for CallUserConfig {
    fn link(&self) -> Link {
        Link::new("CallUserConfig", self.id.clone())
    }
}

/// Cached employee fields the product needs; keeps the list answer small (§2, MPSDK employee/list.php).
const EMPLOYEE_FIELDS: [&str; 8] = [
    "name",
    "firstName",
    "lastName",
    "contactInfo",
    "isWorking",
    "canLogin",
    "position",
    "middleName",
];

impl Client {
    /// `GET /api/v3/employee` with `fields` + `onlyRequestedFields`, every page (§2).
    pub async fn employees(&self) -> Result<Vec<Employee>> {
        let mut q = Map::new();
        q.insert("fields".into(), json!(EMPLOYEE_FIELDS));
        q.insert("onlyRequestedFields".into(), Value::Bool(true));
        self.list_all("api/v3/employee", q).await
    }

    /// `GET /api/v3/employee/{id}` (§2).
    pub async fn employee(&self, id: &Id) -> Result<Employee> {
        self.call(Request::get(format!("api/v3/employee/{id}"), None))
            .await
    }

    /// `GET /api/v3/callUserConfig`, every page (§2).
    pub async fn call_user_configs(&self) -> Result<Vec<CallUserConfig>> {
        self.list_all("api/v3/callUserConfig", Map::new()).await
    }

    /// `GET /api/v3/callUserConfig/Employee/{id}` (§2).
    pub async fn call_user_config_of(&self, employee: &Id) -> Result<CallUserConfig> {
        self.call(Request::get(
            format!("api/v3/callUserConfig/Employee/{employee}"),
            None,
        ))
        .await
    }

    /// `POST /api/v3/callUserConfig` body `CallUserConfig` (§2).
    pub async fn create_call_user_config(
        &self,
        employee: &Id,
        internal_number: &str,
    ) -> Result<CallUserConfig> {
        let body = json!({"contentType": "CallUserConfig", "employee": Link::employee(employee.clone()),
            "internalNumber": internal_number});
        self.call(Request::post("api/v3/callUserConfig", body))
            .await
    }

    /// `POST /api/v3/callUserConfig/{id}` edits one setting (§2).
    pub async fn update_call_user_config(
        &self,
        id: &Id,
        internal_number: &str,
    ) -> Result<CallUserConfig> {
        let body =
            json!({"contentType": "CallUserConfig", "id": id, "internalNumber": internal_number});
        self.call(Request::post(format!("api/v3/callUserConfig/{id}"), body))
            .await
    }
}
