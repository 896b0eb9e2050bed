//! Clients: ContractorHuman / ContractorCompany — find by phone, create, update, extra fields (megaplan-api.md §3).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::client::{Client, HasLink, Request};
use crate::error::Result;
use crate::types::{ContactInfo, Id, Link, is_extra_field_name, phone_digits};

/// A client of either kind, as `/contractor` returns `(ContractorHuman|ContractorCompany)[]` (§3).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contractor {
    pub content_type: String,
    pub id: Id,
    /// May be empty right after a human is created (TS, §3); use first/last name then.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub middle_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::types::null_default")]
    pub contact_info: Vec<ContactInfo>,
    #[serde(default, deserialize_with = "crate::types::null_default")]
    pub responsibles: Vec<Link>,
    /// Everything else, including `Category…CustomField…` extra fields (§0).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Contractor {
    pub fn is_company(&self) -> bool {
        self.content_type == "ContractorCompany"
    }
    pub fn link(&self) -> Link {
        Link::new(&self.content_type, self.id.clone())
    }
    pub fn phones(&self) -> impl Iterator<Item = &str> {
        self.contact_info
            .iter()
            .filter(|c| c.kind == "phone")
            .map(|c| c.value.as_str())
    }
    /// True when one of its phones equals `phone` after digit normalisation (§3: exact local match).
    pub fn has_phone(&self, phone: &str) -> bool {
        let want = phone_digits(phone);
        !want.is_empty() && self.phones().any(|p| phone_digits(p) == want)
    }
    /// The extra fields (`Category…CustomField…`) this contractor carries.
    pub fn extra_fields(&self) -> BTreeMap<&str, &Value> {
        self.other
            .iter()
            .filter(|(k, _)| is_extra_field_name(k))
            .map(|(k, v)| (k.as_str(), v))
            .collect()
    }
}

impl HasLink for Contractor {
    fn link(&self) -> Link {
        Contractor::link(self)
    }
}

/// Body of `POST /api/v3/contractorHuman` (§3 Create, MPSDK contractor/create.php).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewContractorHuman {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contact_info: Vec<ContactInfo>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub responsibles: Vec<Link>,
    /// `Category<id>CustomField<Name>` → value, sent as top-level keys (§0).
    #[serde(flatten)]
    pub extra_fields: BTreeMap<String, Value>,
}

/// Body of `POST /api/v3/contractorCompany`; `name` is required (§3, RAML).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewContractorCompany {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contact_info: Vec<ContactInfo>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub responsibles: Vec<Link>,
    #[serde(flatten)]
    pub extra_fields: BTreeMap<String, Value>,
}

/// Only the changed fields of `POST /api/v3/contractorHuman/{id}` (§3 Update).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractorUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Probably replaces the whole array (§3, inferred): send the full list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_info: Option<Vec<ContactInfo>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responsibles: Option<Vec<Link>>,
    #[serde(flatten)]
    pub extra_fields: BTreeMap<String, Value>,
}

/// Human or company: picks the typed resource, since `/contractor` is read-only (§3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractorKind {
    Human,
    Company,
}

impl ContractorKind {
    pub fn content_type(self) -> &'static str {
        match self {
            ContractorKind::Human => "ContractorHuman",
            ContractorKind::Company => "ContractorCompany",
        }
    }
    fn resource(self) -> &'static str {
        match self {
            ContractorKind::Human => "contractorHuman",
            ContractorKind::Company => "contractorCompany",
        }
    }
    pub fn from_content_type(ct: &str) -> Option<Self> {
        match ct {
            "ContractorHuman" => Some(ContractorKind::Human),
            "ContractorCompany" => Some(ContractorKind::Company),
            _ => None,
        }
    }
}

/// One entry of the extra-field catalogue (§3 "Extra-field catalogue").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtraField {
    pub content_type: String,
    #[serde(default)]
    pub id: Option<Id>,
    /// The wire key, e.g. `Category183CustomFieldRegion`.
    pub name: String,
    #[serde(default)]
    pub hr_name: Option<String>,
    #[serde(default)]
    pub is_required: bool,
    #[serde(default)]
    pub is_multiple: bool,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Adds `contentType` (and `id` on updates) to a serialised body.
fn typed_body(content_type: &str, id: Option<&Id>, fields: impl Serialize) -> Value {
    let mut v = serde_json::to_value(fields).expect("serialisable body");
    let obj = v.as_object_mut().expect("struct body");
    obj.insert("contentType".into(), Value::from(content_type));
    if let Some(id) = id {
        // A POST /x/{id} without "id" was seen to create a new entity (§3 Update gotcha).
        obj.insert("id".into(), Value::from(id.as_str()));
    }
    v
}

impl Client {
    /// `GET /api/v3/contractor?{"q":phone}` then an exact digit match, since `q` is a fuzzy index (§3 Find 1);
    /// when nothing matches, `possibleDuplicates` (§3 Find 2) as a fallback.
    pub async fn find_contractors_by_phone(&self, phone: &str) -> Result<Vec<Contractor>> {
        let q = json!({"q": phone_digits(phone), "limit": 50});
        let page = self
            .call_page::<Contractor>(Request::get("api/v3/contractor", Some(q)))
            .await?;
        let found: Vec<Contractor> = page
            .items
            .into_iter()
            .filter(|c| c.has_phone(phone))
            .collect();
        if !found.is_empty() {
            return Ok(found);
        }
        // The `q` index can be empty on fresh accounts (TS, §3), so ask possibleDuplicates too.
        match self.possible_duplicates_by_phone(phone).await {
            Ok(dups) => Ok(dups.into_iter().filter(|c| c.has_phone(phone)).collect()),
            Err(e) if e.is_transient() => Err(e),
            // It is only a fallback of inferred behaviour: its refusal means "nothing found".
            Err(_) => Ok(Vec::new()),
        }
    }

    /// `GET /api/v3/contractor/possibleDuplicates?{"contactInfo":[phone]}` (§3 Find 2; behaviour inferred).
    pub async fn possible_duplicates_by_phone(&self, phone: &str) -> Result<Vec<Contractor>> {
        let q = json!({"contactInfo": [ContactInfo::phone(phone)]});
        self.call(Request::get(
            "api/v3/contractor/possibleDuplicates",
            Some(q),
        ))
        .await
    }

    /// `GET /api/v3/contractor` with a `CrmFilter` on `responsibles` (§3, MPSDK contractor/list.php).
    pub async fn contractors_by_responsible(&self, employee: &Id) -> Result<Vec<Contractor>> {
        let filter = json!({"contentType":"CrmFilter","id":null,"config":{"contentType":"FilterConfig",
            "termGroup":{"contentType":"FilterTermGroup","join":"and","terms":[{"contentType":"FilterTermRef",
            "field":"responsibles","comparison":"equals","value":[Link::employee(employee.clone())]}]}}});
        let mut q = Map::new();
        q.insert("filter".into(), filter);
        self.list_all("api/v3/contractor", q).await
    }

    /// `GET /api/v3/contractor/{id}`: either kind, every field (§3).
    pub async fn contractor(&self, id: &Id) -> Result<Contractor> {
        self.call(Request::get(format!("api/v3/contractor/{id}"), None))
            .await
    }

    /// `POST /api/v3/contractorHuman` (§3 Create).
    pub async fn create_contractor_human(&self, new: &NewContractorHuman) -> Result<Contractor> {
        let body = typed_body("ContractorHuman", None, new);
        self.call(Request::post("api/v3/contractorHuman", body))
            .await
    }

    /// `POST /api/v3/contractorCompany` (§3 Create, company).
    pub async fn create_contractor_company(
        &self,
        new: &NewContractorCompany,
    ) -> Result<Contractor> {
        let body = typed_body("ContractorCompany", None, new);
        self.call(Request::post("api/v3/contractorCompany", body))
            .await
    }

    /// `POST /api/v3/contractorHuman|contractorCompany/{id}` with only the changed fields and the id (§3 Update).
    pub async fn update_contractor(
        &self,
        kind: ContractorKind,
        id: &Id,
        update: &ContractorUpdate,
    ) -> Result<Contractor> {
        let body = typed_body(kind.content_type(), Some(id), update);
        self.call(Request::post(
            format!("api/v3/{}/{id}", kind.resource()),
            body,
        ))
        .await
    }

    /// `GET /api/v3/contractorHuman|contractorCompany/extraFields` (§3 catalogue).
    pub async fn contractor_extra_fields(&self, kind: ContractorKind) -> Result<Vec<ExtraField>> {
        self.call(Request::get(
            format!("api/v3/{}/extraFields", kind.resource()),
            None,
        ))
        .await
    }
}
