//! Data API rows (uis-api.md §2.1, §5.1, §6). Every field but `id` is optional: `fields` projects them away.

use chrono::NaiveDateTime;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// UIS sends `null` for empty arrays in some answers.
fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Employee {
    pub id: i64,
    pub login: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub patronymic: Option<String>,
    pub full_name: Option<String>,
    pub email: Option<String>,
    /// Deprecated enum (`available`, `do_not_disturb`, …); `status_id` is current.
    pub status: Option<String>,
    pub status_id: Option<i64>,
    pub call_recording: Option<String>,
    #[serde(deserialize_with = "null_as_empty")]
    pub phone_numbers: Vec<EmployeePhone>,
    pub extension: Option<Extension>,
    #[serde(deserialize_with = "null_as_empty")]
    pub groups: Vec<EmployeeGroup>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmployeePhone {
    pub phone_id: Option<i64>,
    pub phone_number: String,
    pub channels_count: Option<i64>,
    pub dial_time: Option<i64>,
    /// `active` | `inactive`
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Extension {
    pub extension_phone_number: Option<String>,
    pub extension_voice_mail_enabled: Option<bool>,
    pub extension_queue_enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmployeeGroup {
    pub group_id: i64,
    pub group_name: Option<String>,
}

/// `create.employees` params; UIS requires `last_name` and `phone_numbers`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewEmployee {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    pub last_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patronymic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub phone_numbers: Vec<EmployeePhone>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension: Option<Extension>,
}

/// `update.employees` params: a partial update, absent fields are left alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmployeeUpdate {
    pub id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_numbers: Option<Vec<EmployeePhone>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension: Option<Extension>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Status {
    pub id: i64,
    pub name: Option<String>,
    /// `available`, `break`, `do_not_disturb`, `not_at_workplace`, `not_at_work`, `auto_out_call`, `unknown`, or custom.
    pub mnemonic: Option<String>,
    pub description: Option<String>,
    pub color: Option<String>,
    pub is_deleted: Option<bool>,
    pub is_worktime: Option<bool>,
    pub is_select_allowed: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VirtualNumber {
    pub id: i64,
    pub virtual_phone_number: String,
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub name: Option<String>,
    pub comment: Option<String>,
    #[serde(deserialize_with = "null_as_empty")]
    pub scenarios: Vec<Scenario>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scenario {
    pub scenario_id: i64,
    pub scenario_name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Site {
    pub id: i64,
    pub domain_name: Option<String>,
    pub name: Option<String>,
    pub default_phone_number: Option<String>,
    pub site_key: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tag {
    pub id: i64,
    pub name: Option<String>,
    pub is_system: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CommunicationTag {
    pub tag_id: i64,
    pub tag_name: Option<String>,
    pub tag_type: Option<String>,
    pub tag_change_time: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallEmployee {
    pub employee_id: i64,
    pub employee_full_name: Option<String>,
    pub is_answered: Option<bool>,
    pub is_talked: Option<bool>,
}

/// A row of `get.calls_report`; `id` is the `call_session_id`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallReport {
    pub id: i64,
    #[serde(with = "crate::time::opt_naive")]
    pub start_time: Option<NaiveDateTime>,
    #[serde(with = "crate::time::opt_naive")]
    pub finish_time: Option<NaiveDateTime>,
    pub finish_reason: Option<String>,
    pub direction: Option<String>,
    pub is_lost: Option<bool>,
    pub source: Option<String>,
    pub contact_phone_number: Option<String>,
    pub virtual_phone_number: Option<String>,
    pub communication_id: Option<i64>,
    pub wait_duration: Option<i64>,
    pub talk_duration: Option<i64>,
    pub total_duration: Option<i64>,
    #[serde(deserialize_with = "null_as_empty")]
    pub call_records: Vec<String>,
    pub full_record_file_link: Option<String>,
    #[serde(deserialize_with = "null_as_empty")]
    pub tags: Vec<CommunicationTag>,
    #[serde(deserialize_with = "null_as_empty")]
    pub employees: Vec<CallEmployee>,
    pub first_answered_employee_id: Option<i64>,
    pub last_answered_employee_id: Option<i64>,
    pub last_talked_employee_id: Option<i64>,
    pub last_talked_employee_full_name: Option<String>,
    pub scenario_id: Option<i64>,
    pub scenario_name: Option<String>,
    pub contact_id: Option<i64>,
    pub contact_full_name: Option<String>,
    pub call_api_external_id: Option<String>,
    pub site_id: Option<i64>,
}

/// A row of `get.call_legs_report` (one CDR leg of a call session).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallLegReport {
    pub id: i64,
    pub call_session_id: i64,
    #[serde(with = "crate::time::opt_naive")]
    pub start_time: Option<NaiveDateTime>,
    #[serde(with = "crate::time::opt_naive")]
    pub connect_time: Option<NaiveDateTime>,
    pub duration: Option<i64>,
    pub total_duration: Option<i64>,
    pub finish_reason: Option<String>,
    pub calling_phone_number: Option<String>,
    pub called_phone_number: Option<String>,
    pub direction: Option<String>,
    pub is_transfered: Option<bool>,
    pub is_operator: Option<bool>,
    pub employee_id: Option<i64>,
    pub employee_full_name: Option<String>,
    pub employee_phone_number: Option<String>,
    pub is_failed: Option<bool>,
    pub is_talked: Option<bool>,
    #[serde(deserialize_with = "null_as_empty")]
    pub call_records: Vec<String>,
}

/// A row of `get.chats_report`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChatReport {
    pub id: i64,
    /// `new|active|lost|succeed|refused`
    pub status: Option<String>,
    pub initiator: Option<String>,
    #[serde(with = "crate::time::opt_naive")]
    pub date_time: Option<NaiveDateTime>,
    pub duration: Option<i64>,
    pub communication_id: Option<i64>,
    pub chat_channel_id: Option<i64>,
    pub chat_channel_type: Option<String>,
    pub chat_channel_name: Option<String>,
    pub messages_count: Option<i64>,
    pub release_cause: Option<String>,
    pub employee_id: Option<i64>,
    pub employee_full_name: Option<String>,
    #[serde(deserialize_with = "null_as_empty")]
    pub tags: Vec<CommunicationTag>,
    pub site_id: Option<i64>,
    pub site_domain_name: Option<String>,
    pub visitor_id: Option<i64>,
    pub visitor_name: Option<String>,
    pub visitor_phone_number: Option<String>,
    pub visitor_email: Option<String>,
}

/// A row of `get.chat_messages_report`; a chat's transcript is its messages in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChatMessage {
    pub id: i64,
    pub chat_id: i64,
    pub channel_type: Option<String>,
    #[serde(with = "crate::time::opt_naive")]
    pub date_time: Option<NaiveDateTime>,
    pub text: Option<String>,
    /// `system|operator|visitor|…`
    pub source: Option<String>,
    pub employee_id: Option<i64>,
    pub employee_full_name: Option<String>,
    pub resource: Option<Value>,
}

/// A row of `get.offline_messages_report` (a lead / заявка).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OfflineMessage {
    pub id: i64,
    #[serde(with = "crate::time::opt_naive")]
    pub date_time: Option<NaiveDateTime>,
    pub text: Option<String>,
    /// `processing|processed|not_processed`
    pub status: Option<String>,
    pub form_type: Option<String>,
    pub form_name: Option<String>,
    pub visitor_name: Option<String>,
    pub visitor_phone_number: Option<String>,
    pub visitor_email: Option<String>,
    pub employee_id: Option<i64>,
    pub employee_full_name: Option<String>,
    #[serde(deserialize_with = "null_as_empty")]
    pub tags: Vec<CommunicationTag>,
    pub site_id: Option<i64>,
    pub site_domain_name: Option<String>,
    pub communication_id: Option<i64>,
}
