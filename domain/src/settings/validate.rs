//! Whole-form validation before saving (T16): every wrong field, each with its dotted path (the
//! serde path, so the page can put the message under the field) and a Russian message. Only the
//! sub-settings that are switched on — and so shown, as the seed describes — are checked.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{CommunicationRule, MAX_COMMUNICATION_MINUTES, Responsible, TelephonySettings};
use crate::call::CallOutcome;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Dotted path, e.g. `call_processing.todo.responsible` or `filters.virtual_numbers.1`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl TelephonySettings {
    /// `Ok` when the form can be saved; otherwise every problem found, in page order.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let e = &mut errors;

        if self.sync.sync_employees && self.sync.employees.is_empty() {
            e.push(FieldError::new(
                "sync.employees",
                "Выберите сотрудников Megaplan, которых нужно создать в UIS",
            ));
        }

        let filters = &self.filters;
        if filters.by_virtual_numbers && filters.virtual_numbers.is_empty() {
            e.push(FieldError::new(
                "filters.virtual_numbers",
                "Укажите хотя бы один виртуальный номер",
            ));
        }
        for (i, n) in filters.virtual_numbers.iter().enumerate() {
            if filters.virtual_numbers[..i].contains(n) {
                e.push(FieldError::new(
                    format!("filters.virtual_numbers.{i}"),
                    format!("Номер {} указан дважды", n.international()),
                ));
            }
        }

        let cp = &self.call_processing;
        let creates_anything = cp.create_client.enabled
            || cp.communication.enabled
            || cp.todo.enabled
            || cp.deal.enabled;
        if creates_anything && self.default_responsible.is_none() {
            e.push(FieldError::new(
                "default_responsible",
                "Выберите ответственного по умолчанию: он назначается, когда сотрудник звонка не найден в Megaplan",
            ));
        }

        if cp.extra_fields.enabled {
            if cp.extra_fields.mapping.is_empty() {
                e.push(FieldError::new(
                    "call_processing.extra_fields.mapping",
                    "Добавьте хотя бы одно соответствие полей",
                ));
            }
            let mut seen = BTreeSet::new();
            for (i, m) in cp.extra_fields.mapping.iter().enumerate() {
                let name = m.megaplan.trim();
                let field = format!("call_processing.extra_fields.mapping.{i}.megaplan");
                if name.is_empty() {
                    e.push(FieldError::new(field, "Выберите поле Megaplan"));
                } else if name.chars().any(char::is_whitespace) {
                    e.push(FieldError::new(
                        field,
                        format!("«{name}» — не имя поля Megaplan (ожидается вида Category183CustomFieldIstochnik)"),
                    ));
                } else if !seen.insert(name) {
                    e.push(FieldError::new(
                        field,
                        format!("Поле Megaplan «{name}» уже заполняется из другого поля UIS"),
                    ));
                }
            }
        }

        if cp.communication.enabled {
            communication(&cp.communication, e);
        }
        if cp.todo.enabled {
            outcomes("call_processing.todo.outcomes", &cp.todo.outcomes, e);
            responsible(
                self,
                "call_processing.todo.responsible",
                &cp.todo.responsible,
                e,
            );
        }
        if cp.deal.enabled {
            outcomes("call_processing.deal.outcomes", &cp.deal.outcomes, e);
            responsible(
                self,
                "call_processing.deal.responsible",
                &cp.deal.responsible,
                e,
            );
            if cp.deal.program.is_none() {
                e.push(FieldError::new(
                    "call_processing.deal.program",
                    "Выберите схему Megaplan для процессов",
                ));
            }
        }

        if self.click_to_call.override_caller_id && self.click_to_call.number.is_none() {
            e.push(FieldError::new(
                "click_to_call.number",
                "Укажите номер для звонка по клику: без него нечего показывать клиенту вместо АОН",
            ));
        }

        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn communication(c: &CommunicationRule, e: &mut Vec<FieldError>) {
    outcomes("call_processing.communication.outcomes", &c.outcomes, e);
    if !(1..=MAX_COMMUNICATION_MINUTES).contains(&c.duration_minutes) {
        e.push(FieldError::new(
            "call_processing.communication.duration_minutes",
            format!("Укажите длительность от 1 до {MAX_COMMUNICATION_MINUTES} минут"),
        ));
    }
}

fn outcomes(field: &str, set: &BTreeSet<CallOutcome>, e: &mut Vec<FieldError>) {
    if set.is_empty() {
        e.push(FieldError::new(
            field,
            "Выберите хотя бы одно направление звонков и его статус",
        ));
    }
}

fn responsible(s: &TelephonySettings, field: &str, r: &Responsible, e: &mut Vec<FieldError>) {
    if *r == Responsible::DefaultResponsible && s.default_responsible.is_none() {
        e.push(FieldError::new(
            field,
            "Выберите ответственного: ответственный по умолчанию не указан",
        ));
    }
}

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::super::*;
    use super::*;

    fn id(s: &str) -> MegaplanId {
        MegaplanId::parse(s).unwrap()
    }

    fn fields(s: &TelephonySettings) -> Vec<String> {
        match s.validate() {
            Ok(()) => vec![],
            Err(errs) => errs.into_iter().map(|e| e.field).collect(),
        }
    }

    #[test]
    fn default_settings_are_valid() {
        assert_eq!(TelephonySettings::default().validate(), Ok(()));
    }

    #[test]
    fn a_full_form_is_valid() {
        let mut s = TelephonySettings::default();
        s.active = true;
        s.default_responsible = Some(id("1000003"));
        s.filters.by_virtual_numbers = true;
        s.filters.virtual_numbers = vec!["74993720692".parse().unwrap()];
        let cp = &mut s.call_processing;
        cp.create_client.enabled = true;
        cp.communication.enabled = true;
        cp.todo.enabled = true;
        cp.deal.enabled = true;
        cp.deal.outcomes = [CallOutcome::Answered].into();
        cp.deal.program = Some(id("8"));
        cp.extra_fields.enabled = true;
        cp.extra_fields.mapping = vec![FieldMapping {
            uis: UisCallField::CallSource,
            megaplan: "Category183CustomFieldIstochnik".into(),
        }];
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn todo_without_any_responsible_names_the_field() {
        let mut s = TelephonySettings::default();
        s.call_processing.todo.enabled = true;
        let errs = s.validate().unwrap_err();
        assert!(errs.contains(&FieldError::new(
            "call_processing.todo.responsible",
            "Выберите ответственного: ответственный по умолчанию не указан"
        )));
        assert!(errs.iter().any(|e| e.field == "default_responsible"));
    }

    #[test]
    fn chosen_employee_needs_no_default_for_that_rule() {
        let mut s = TelephonySettings::default();
        s.default_responsible = Some(id("1"));
        s.call_processing.todo.enabled = true;
        s.call_processing.todo.responsible = Responsible::Employee(id("5"));
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn every_wrong_field_is_reported_with_its_path() {
        let mut s = TelephonySettings::default();
        s.sync.sync_employees = true;
        s.filters.by_virtual_numbers = true;
        let cp = &mut s.call_processing;
        cp.extra_fields.enabled = true;
        cp.communication.enabled = true;
        cp.communication.outcomes.clear();
        cp.communication.duration_minutes = 0;
        cp.deal.enabled = true;
        s.click_to_call.override_caller_id = true;
        assert_eq!(
            fields(&s),
            [
                "sync.employees",
                "filters.virtual_numbers",
                "default_responsible",
                "call_processing.extra_fields.mapping",
                "call_processing.communication.outcomes",
                "call_processing.communication.duration_minutes",
                "call_processing.deal.outcomes",
                "call_processing.deal.responsible",
                "call_processing.deal.program",
                "click_to_call.number",
            ]
        );
    }

    #[test]
    fn mapping_rows_are_checked_one_by_one() {
        let mut s = TelephonySettings::default();
        s.call_processing.extra_fields.enabled = true;
        let row = |m: &str| FieldMapping {
            uis: UisCallField::UtmSource,
            megaplan: m.into(),
        };
        s.call_processing.extra_fields.mapping =
            vec![row("CategoryX"), row(" "), row("Не поле"), row("CategoryX")];
        assert_eq!(
            fields(&s),
            [
                "call_processing.extra_fields.mapping.1.megaplan",
                "call_processing.extra_fields.mapping.2.megaplan",
                "call_processing.extra_fields.mapping.3.megaplan",
            ]
        );
    }

    #[test]
    fn duplicate_virtual_number_is_reported() {
        let mut s = TelephonySettings::default();
        s.filters.by_virtual_numbers = true;
        s.filters.virtual_numbers = vec![
            "74993720692".parse().unwrap(),
            "8 (499) 372-06-92".parse().unwrap(),
        ];
        assert_eq!(fields(&s), ["filters.virtual_numbers.1"]);
    }

    #[test]
    fn communication_duration_is_bounded() {
        let mut s = TelephonySettings::default();
        s.default_responsible = Some(id("1"));
        s.call_processing.communication.enabled = true;
        s.call_processing.communication.duration_minutes = MAX_COMMUNICATION_MINUTES + 1;
        assert_eq!(
            fields(&s),
            ["call_processing.communication.duration_minutes"]
        );
    }
}
