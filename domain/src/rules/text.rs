//! Russian names and descriptions of the entities created for a call, with times in the account's
//! zone (UIS and Megaplan users think in local time) and a marker a retry can search for.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::call::{CallEvent, CallOutcome, Finished};
use crate::ids::CallSessionId;
use crate::phone::Phone;

/// `[uis:call:<call_session_id>]`: ends the name of a todo or deal made for the call, so the
/// executor can find an entity a crashed attempt already created (Megaplan filters by name).
pub fn marker(call: CallSessionId) -> String {
    format!("[uis:call:{call}]")
}

/// The marker of a communication; distinct from [`marker`] because both are Megaplan todos.
pub(super) fn communication_marker(call: CallSessionId) -> String {
    format!("[uis:communication:{call}]")
}

pub(super) fn phone(p: Option<&Phone>) -> String {
    p.map_or_else(|| "(скрытый номер)".to_owned(), Phone::international)
}

pub(super) fn local_time(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%d.%m.%Y %H:%M").to_string()
}

/// «Пропущенный входящий звонок +7 950 841-85-41».
pub(super) fn title(outcome: CallOutcome, p: Option<&Phone>) -> String {
    format!("{} {}", outcome.call_words(), phone(p))
}

/// A todo for a call nobody talked on asks to call back.
pub(super) fn todo_name(outcome: CallOutcome, p: Option<&Phone>, marker: &str) -> String {
    let title = title(outcome, p);
    if outcome.is_talked() {
        format!("{title} {marker}")
    } else {
        format!("Перезвонить: {} {marker}", lower_first(&title))
    }
}

/// Plain text, one fact a line, ending with `marker`.
pub(super) fn description(
    e: &CallEvent,
    f: &Finished,
    outcome: CallOutcome,
    tz: Tz,
    marker: &str,
) -> String {
    let mut lines = vec![
        format!(
            "{}: {}",
            outcome.call_words(),
            phone(e.contact_phone.as_ref())
        ),
        format!(
            "Время: {} ({})",
            local_time(e.call_started_at(), tz),
            tz.name()
        ),
    ];
    if let Some(v) = &e.virtual_number {
        lines.push(format!("Виртуальный номер: {}", v.international()));
    }
    if outcome.is_talked() {
        lines.push(format!("Разговор: {}", duration(f.talk_secs)));
    }
    if f.wait_secs > 0 {
        lines.push(format!("Ожидание ответа: {}", duration(f.wait_secs)));
    }
    lines.push(format!("Звонок UIS: {}", e.call_session_id));
    lines.push(marker.to_owned());
    lines.join("\n")
}

/// «1 мин 05 с», «42 с».
pub(super) fn duration(secs: u32) -> String {
    let (m, s) = (secs / 60, secs % 60);
    if m == 0 {
        format!("{s} с")
    } else {
        format!("{m} мин {s:02} с")
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn lost_call_todo_asks_to_call_back_with_phone_and_marker() {
        let p: Phone = "79508418541".parse().unwrap();
        assert_eq!(
            todo_name(CallOutcome::Lost, Some(&p), &marker(CallSessionId(42))),
            "Перезвонить: пропущенный входящий звонок +7 950 841-85-41 [uis:call:42]"
        );
        assert_eq!(
            todo_name(CallOutcome::Answered, None, "[m]"),
            "Входящий звонок (скрытый номер) [m]"
        );
    }

    #[test]
    fn time_is_written_in_the_account_zone() {
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 11, 40, 0).unwrap();
        assert_eq!(
            local_time(at, chrono_tz::Europe::Moscow),
            "24.11.2026 14:40"
        );
        assert_eq!(
            local_time(at, chrono_tz::Asia::Yekaterinburg),
            "24.11.2026 16:40"
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(0), "0 с");
        assert_eq!(duration(42), "42 с");
        assert_eq!(duration(65), "1 мин 05 с");
    }
}
