//! The telephony section of the settings page, in the seed's order and with its names
//! (seed «Подключение телефонии», steps 1–7). Every struct reads with `#[serde(default)]`, so a
//! stored form from an older version still loads; [`TelephonySettings::validate`] checks a form
//! before it is saved (T16).

mod validate;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::call::CallOutcome;
use crate::ids::MegaplanId;
use crate::phone::Phone;

pub use validate::FieldError;

/// «Подключение телефонии».
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TelephonySettings {
    /// п. 1 «Синхронизация данных».
    pub sync: SyncSettings,
    /// п. 2 «Настройки фильтрации».
    pub filters: Filters,
    /// п. 3 «Ответственный по умолчанию» — назначается ответственным на создаваемые сущности, если
    /// выбрана соответствующая настройка. Also the fallback when the employee of a call is not
    /// known in Megaplan.
    pub default_responsible: Option<MegaplanId>,
    /// п. 4 «Обработка звонков».
    pub call_processing: CallProcessing,
    /// п. 5 «Звонки по клику из CRM».
    pub click_to_call: ClickToCall,
    /// п. 6 «Активируйте интеграцию». Nothing is processed while it is off (T16).
    pub active: bool,
}

/// п. 1 «Синхронизация данных». 2.1 «Синхронизация настройки телефонии» is a button (T1), nothing
/// is stored for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SyncSettings {
    /// 2.2 «Синхронизировать сотрудников» — импортировать выбранных сотрудников из Megaplan в UIS
    /// (связь по e-mail, по умолчанию каждые 2 часа) (T2).
    pub sync_employees: bool,
    /// «Список сотрудников из Megaplan», которых требуется создать в UIS.
    pub employees: Vec<MegaplanId>,
}

/// п. 2 «Настройки фильтрации» (T3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filters {
    /// 2.1 «Фильтровать по виртуальным номерам».
    pub by_virtual_numbers: bool,
    /// 2.2 «Список виртуальных номеров», по которым необходимо отображать данные по звонкам в Megaplan.
    pub virtual_numbers: Vec<Phone>,
}

impl Filters {
    /// Whether a call on `number` passes the filter. With the filter on, a call whose virtual
    /// number is unknown does not pass: only listed numbers go to Megaplan.
    pub fn passes(&self, number: Option<&Phone>) -> bool {
        !self.by_virtual_numbers || number.is_some_and(|n| self.virtual_numbers.contains(n))
    }
}

/// п. 4 «Обработка звонков».
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallProcessing {
    /// 4.1 «Создавать контакт при звонке».
    pub create_client: CreateClient,
    /// 4.2 «Передавать дополнительные поля в клиента».
    pub extra_fields: ExtraFields,
    /// 4.3 «Создавать коммуникацию по звонку».
    pub communication: CommunicationRule,
    /// 4.4 «Создавать дело по звонку».
    pub todo: TodoRule,
    /// 4.5 «Создавать процесс по звонку».
    pub deal: DealRule,
    /// 4.6 «Включить переадресацию на персонального менеджера» (T10; works with the matching UIS
    /// scenario operation and matching extensions).
    pub personal_manager_routing: bool,
}

/// 4.1 «Создавать контакт при звонке» — в разделе «Клиенты», при начале разговора (T5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CreateClient {
    pub enabled: bool,
    /// «Назначать ответственного на» — за успешный звонок от нового клиента.
    pub responsible: TalkedEmployee,
}

/// «последний или первый разговаривавший».
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TalkedEmployee {
    /// «Первый разговаривавший»
    #[default]
    FirstTalked,
    /// «Последний разговаривавший»
    LastTalked,
}

/// 4.2 «Передавать дополнительные поля в клиента» (T6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExtraFields {
    pub enabled: bool,
    /// «Соответствие полей в Megaplan и UIS».
    pub mapping: Vec<FieldMapping>,
    /// «Обновлять всегда» — не только при создании контакта, но и при повторных звонках.
    pub update_always: bool,
}

/// One row of the mapping: a UIS call field into a Megaplan client extra field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMapping {
    /// «Поле UIS».
    pub uis: UisCallField,
    /// «Поле Megaplan»: the extra field's API name, e.g. `Category183CustomFieldIstochnik`.
    pub megaplan: String,
}

/// UIS call parameters that can feed a client's extra field. Serialised as the UIS parameter
/// name (uis-api.md §1.2), which is also where [`crate::call::CallEvent::params`] keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UisCallField {
    ContactPhoneNumber,
    ContactFullName,
    VirtualPhoneNumber,
    CallSource,
    ScenarioName,
    CampaignName,
    SiteDomainName,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    UtmTerm,
    UtmContent,
    TagNames,
    CallSessionId,
    CommunicationNumber,
    EmployeeFullName,
}

impl UisCallField {
    pub const ALL: [UisCallField; 16] = [
        UisCallField::ContactPhoneNumber,
        UisCallField::ContactFullName,
        UisCallField::VirtualPhoneNumber,
        UisCallField::CallSource,
        UisCallField::ScenarioName,
        UisCallField::CampaignName,
        UisCallField::SiteDomainName,
        UisCallField::UtmSource,
        UisCallField::UtmMedium,
        UisCallField::UtmCampaign,
        UisCallField::UtmTerm,
        UisCallField::UtmContent,
        UisCallField::TagNames,
        UisCallField::CallSessionId,
        UisCallField::CommunicationNumber,
        UisCallField::EmployeeFullName,
    ];

    /// The UIS notification parameter.
    pub fn param(self) -> &'static str {
        match self {
            UisCallField::ContactPhoneNumber => "contact_phone_number",
            UisCallField::ContactFullName => "contact_full_name",
            UisCallField::VirtualPhoneNumber => "virtual_phone_number",
            UisCallField::CallSource => "call_source",
            UisCallField::ScenarioName => "scenario_name",
            UisCallField::CampaignName => "campaign_name",
            UisCallField::SiteDomainName => "site_domain_name",
            UisCallField::UtmSource => "utm_source",
            UisCallField::UtmMedium => "utm_medium",
            UisCallField::UtmCampaign => "utm_campaign",
            UisCallField::UtmTerm => "utm_term",
            UisCallField::UtmContent => "utm_content",
            UisCallField::TagNames => "tag_names",
            UisCallField::CallSessionId => "call_session_id",
            UisCallField::CommunicationNumber => "communication_number",
            UisCallField::EmployeeFullName => "employee_full_name",
        }
    }

    /// As the settings page names it.
    pub fn label(self) -> &'static str {
        match self {
            UisCallField::ContactPhoneNumber => "Номер абонента",
            UisCallField::ContactFullName => "Имя контакта",
            UisCallField::VirtualPhoneNumber => "Виртуальный номер",
            UisCallField::CallSource => "Источник звонка",
            UisCallField::ScenarioName => "Сценарий",
            UisCallField::CampaignName => "Рекламная кампания",
            UisCallField::SiteDomainName => "Сайт",
            UisCallField::UtmSource => "utm_source",
            UisCallField::UtmMedium => "utm_medium",
            UisCallField::UtmCampaign => "utm_campaign",
            UisCallField::UtmTerm => "utm_term",
            UisCallField::UtmContent => "utm_content",
            UisCallField::TagNames => "Теги",
            UisCallField::CallSessionId => "ID сессии звонка",
            UisCallField::CommunicationNumber => "Номер обращения",
            UisCallField::EmployeeFullName => "Сотрудник",
        }
    }
}

/// 4.3 «Создавать коммуникацию по звонку» — в «Клиенты» → «Коммуникации», тип «Звонок», после
/// завершения звонка (T7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CommunicationRule {
    pub enabled: bool,
    /// «Создание коммуникации по направлению звонков» — направления и статусы.
    pub outcomes: BTreeSet<CallOutcome>,
    /// «Длительность коммуникации», минут: добавляется к времени начала (по умолчанию 120).
    pub duration_minutes: u32,
}

/// The seed: «По умолчанию указано 120 минут (2 часа)».
pub const DEFAULT_COMMUNICATION_MINUTES: u32 = 120;
/// Upper bound accepted by validation: one week.
pub const MAX_COMMUNICATION_MINUTES: u32 = 7 * 24 * 60;

impl Default for CommunicationRule {
    fn default() -> Self {
        CommunicationRule {
            enabled: false,
            outcomes: CallOutcome::ALL.into_iter().collect(),
            duration_minutes: DEFAULT_COMMUNICATION_MINUTES,
        }
    }
}

/// 4.4 «Создавать дело по звонку» — в «Календарь» → «Список дел», после завершения звонка (T8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TodoRule {
    pub enabled: bool,
    /// «Направления звонков, их статусы».
    pub outcomes: BTreeSet<CallOutcome>,
    /// «Ответственный».
    pub responsible: Responsible,
}

impl Default for TodoRule {
    /// The common case (seed feature list): a task on lost inbound and failed outbound calls.
    fn default() -> Self {
        TodoRule {
            enabled: false,
            outcomes: [CallOutcome::Lost, CallOutcome::Failed].into(),
            responsible: Responsible::DefaultResponsible,
        }
    }
}

/// 4.5 «Создавать процесс по звонку» — в «Процессы», после завершения звонка (T9).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DealRule {
    pub enabled: bool,
    /// «Направления звонков, их статусы».
    pub outcomes: BTreeSet<CallOutcome>,
    /// «Ответственный» (Megaplan `Deal.manager`).
    pub responsible: Responsible,
    /// «Схема из Megaplan» (`Program` id).
    pub program: Option<MegaplanId>,
}

/// Who is responsible for a created todo or deal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "employee", rename_all = "snake_case")]
pub enum Responsible {
    /// «Ответственный по умолчанию» (step 3).
    #[default]
    DefaultResponsible,
    /// «Сотрудник звонка»: who talked last, else who was tried last; the default responsible
    /// when that employee is not linked to Megaplan.
    CallEmployee,
    /// «Выбранный сотрудник».
    Employee(MegaplanId),
}

/// п. 5 «Звонки по клику из CRM» (T11).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClickToCall {
    /// «Номер для звонка по клику» — определяется у клиента при звонке от сотрудника, у которого
    /// нет зарегистрированной SIP-линии.
    pub number: Option<Phone>,
    /// «Переопределять АОН для исходящих звонков» — показывать клиенту только этот номер.
    pub override_caller_id: bool,
}

impl ClickToCall {
    /// The caller ID to request from the UIS Call API for a click-to-call, or `None` to let UIS
    /// use the employee's own number.
    pub fn caller_id(&self, employee_has_sip_line: bool) -> Option<&Phone> {
        if self.override_caller_id || !employee_has_sip_line {
            self.number.as_ref()
        } else {
            None
        }
    }
}

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;

    fn phone(s: &str) -> Phone {
        s.parse().unwrap()
    }

    #[test]
    fn defaults_follow_the_seed() {
        let s = TelephonySettings::default();
        assert!(!s.active);
        assert_eq!(s.call_processing.communication.duration_minutes, 120);
        assert_eq!(
            s.call_processing.todo.outcomes,
            [CallOutcome::Lost, CallOutcome::Failed].into()
        );
        assert_eq!(
            s.call_processing.create_client.responsible,
            TalkedEmployee::FirstTalked
        );
    }

    #[test]
    fn empty_json_loads_defaults() {
        let s: TelephonySettings = serde_json::from_str("{}").unwrap();
        assert_eq!(s, TelephonySettings::default());
        let s: TelephonySettings =
            serde_json::from_str(r#"{"call_processing":{"communication":{"enabled":true}}}"#)
                .unwrap();
        assert!(s.call_processing.communication.enabled);
        assert_eq!(s.call_processing.communication.duration_minutes, 120);
    }

    #[test]
    fn settings_round_trip_through_json() {
        let mut s = TelephonySettings::default();
        s.active = true;
        s.filters.by_virtual_numbers = true;
        s.filters.virtual_numbers = vec![phone("74993720692")];
        s.default_responsible = Some(MegaplanId::parse("1000003").unwrap());
        s.call_processing.deal.responsible = Responsible::Employee(MegaplanId::parse("7").unwrap());
        s.call_processing.extra_fields.mapping = vec![FieldMapping {
            uis: UisCallField::UtmSource,
            megaplan: "Category183CustomFieldIstochnik".into(),
        }];
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains(r#""uis":"utm_source""#), "{json}");
        assert!(
            json.contains(r#""virtual_numbers":["+74993720692"]"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<TelephonySettings>(&json).unwrap(), s);
    }

    #[test]
    fn uis_call_field_serialises_as_its_param() {
        for f in UisCallField::ALL {
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                format!("\"{}\"", f.param())
            );
        }
    }

    #[test]
    fn virtual_number_filter_passes_only_listed_numbers() {
        let mut f = Filters::default();
        assert!(f.passes(None), "filter off passes everything");
        f.by_virtual_numbers = true;
        f.virtual_numbers = vec![phone("74993720692")];
        assert!(f.passes(Some(&phone("8 499 372-06-92"))));
        assert!(!f.passes(Some(&phone("74950000000"))));
        assert!(!f.passes(None));
    }

    #[test]
    fn click_to_call_caller_id() {
        let mut c = ClickToCall {
            number: Some(phone("74993720692")),
            override_caller_id: false,
        };
        assert_eq!(c.caller_id(false), c.number.as_ref());
        assert_eq!(c.caller_id(true), None);
        c.override_caller_id = true;
        assert_eq!(c.caller_id(true), c.number.as_ref());
    }
}
