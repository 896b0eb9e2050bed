//! What the worker already knows when it decides about one event: loaded from its own tables,
//! never fetched by the rules.

use std::collections::BTreeMap;

use chrono_tz::Tz;

use crate::ids::{CallSessionId, Extension, MegaplanId, UisEmployeeId};

/// The zone UIS accounts use unless configured otherwise (ARCHITECTURE.md, Accounts).
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Europe::Moscow;

#[derive(Debug, Clone, PartialEq)]
pub struct Known {
    /// The Megaplan client with this call's phone, if our phone → client map has it.
    pub client: Option<KnownClient>,
    /// Who is who in UIS and Megaplan.
    pub staff: Staff,
    /// A Megaplan `CallInfo` was already created for this call (a card was shown).
    pub call_card_shown: bool,
    /// «Завершение звонка» of this call was already processed: late ringing or talk events must
    /// not pop a card up again.
    pub call_finished: bool,
    /// Employees who talked on this call so far, from processed «Начало разговора» events.
    pub talked: Talked,
    /// The account's time zone, for times written into todo and deal texts.
    pub time_zone: Tz,
}

impl Default for Known {
    fn default() -> Self {
        Known {
            client: None,
            staff: Staff::default(),
            call_card_shown: false,
            call_finished: false,
            talked: Talked::default(),
            time_zone: DEFAULT_TIME_ZONE,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownClient {
    /// Megaplan `ContractorHuman`/`ContractorCompany` id.
    pub id: MegaplanId,
    /// The call whose `EnsureClient` created this client, if it was created by us.
    pub created_by_call: Option<CallSessionId>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Talked {
    pub first: Option<UisEmployeeId>,
    pub last: Option<UisEmployeeId>,
}

/// The employee directory of the account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Staff {
    /// UIS employee → their extension (UIS `extension.extension_phone_number`).
    pub extension_of: BTreeMap<UisEmployeeId, Extension>,
    /// Megaplan «Настройки телефонии → Пользователи» (`callUserConfig.internalNumber`):
    /// extension → Megaplan employee (T1).
    pub megaplan_by_extension: BTreeMap<Extension, MegaplanId>,
    /// UIS employee → Megaplan employee matched by e-mail (T2, «Синхронизация сотрудников»).
    pub megaplan_by_uis_employee: BTreeMap<UisEmployeeId, MegaplanId>,
}

impl Staff {
    pub fn extension(&self, employee: UisEmployeeId) -> Option<&Extension> {
        self.extension_of.get(&employee)
    }

    /// The Megaplan user whose telephony extension is this employee's — the only link that lets
    /// a call card pop up (seed 2.1.b «Важно»).
    pub fn megaplan_by_extension_of(&self, employee: UisEmployeeId) -> Option<&MegaplanId> {
        self.extension(employee)
            .and_then(|ext| self.megaplan_by_extension.get(ext))
    }

    /// The Megaplan employee for a UIS employee: by extension first (the seed's link), then by
    /// the e-mail match of the employee sync.
    pub fn megaplan(&self, employee: UisEmployeeId) -> Option<&MegaplanId> {
        self.megaplan_by_extension_of(employee)
            .or_else(|| self.megaplan_by_uis_employee.get(&employee))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mp(s: &str) -> MegaplanId {
        MegaplanId::parse(s).unwrap()
    }

    #[test]
    fn employee_is_found_by_extension_before_email_link() {
        let mut staff = Staff::default();
        let e = UisEmployeeId(1);
        staff.megaplan_by_uis_employee.insert(e, mp("200"));
        assert_eq!(staff.megaplan(e), Some(&mp("200")));
        assert_eq!(staff.megaplan_by_extension_of(e), None);

        let ext = Extension::parse("101").unwrap();
        staff.extension_of.insert(e, ext.clone());
        staff.megaplan_by_extension.insert(ext, mp("100"));
        assert_eq!(staff.megaplan(e), Some(&mp("100")));
        assert_eq!(staff.megaplan_by_extension_of(e), Some(&mp("100")));
    }

    #[test]
    fn unknown_employee_resolves_to_nobody() {
        assert_eq!(Staff::default().megaplan(UisEmployeeId(9)), None);
        assert_eq!(Known::default().time_zone, chrono_tz::Europe::Moscow);
    }
}
