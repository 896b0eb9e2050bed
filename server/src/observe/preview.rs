//! Rule preview (O4): the notifications a simulated call would bring, each through
//! `domain::rules::decide` with the account's current telephony settings. Nothing is executed.

use app::api::{ErrorCode, FieldError};
use app::observe::{PreviewAnswer, PreviewInput, PreviewStep};
use chrono::Utc;
use domain::call::{CallEvent, CallEventKind, CallOutcome, Direction, Finished};
use domain::ids::{CallSessionId, UisEmployeeId};
use domain::rules::{Action, Known, decide};
use domain::settings::TelephonySettings;
use sqlx::AnyPool;

use super::parse_phone;
use super::queries::time_zone;

/// The settings the pipeline would use: the telephony section's JSON with its switch.
pub async fn settings(pool: &AnyPool, account_id: &str) -> anyhow::Result<TelephonySettings> {
    let row: Option<(i64, String)> = sqlx::query_as(
        "SELECT active, settings FROM account_settings WHERE account_id = $1 AND section = 'telephony'",
    )
    .bind(account_id)
    .fetch_optional(pool)
    .await?;
    Ok(match row {
        Some((active, json)) => settings_of(Some(active), Some(&json)),
        None => TelephonySettings::default(),
    })
}

/// The telephony settings of a stored `account_settings` row (none stored: the defaults, off).
pub fn settings_of(active: Option<i64>, json: Option<&str>) -> TelephonySettings {
    let Some(json) = json else {
        return TelephonySettings::default();
    };
    let mut s: TelephonySettings = serde_json::from_str(json).unwrap_or_default();
    s.active = active.unwrap_or(0) != 0;
    s
}

/// The notifications of such a call, in the order UIS sends them.
pub fn call_events(
    direction: Direction,
    talked: bool,
    phone: Option<domain::phone::Phone>,
    virtual_number: Option<domain::phone::Phone>,
    employee: Option<UisEmployeeId>,
) -> Vec<CallEvent> {
    let call = CallSessionId(900_000_001);
    let start = Utc::now();
    let outcome = CallOutcome::of(direction, talked);
    let event = |kind: CallEventKind, secs: i64| CallEvent {
        call_session_id: call,
        kind,
        direction,
        contact_phone: phone.clone(),
        virtual_number: virtual_number.clone(),
        at: start + chrono::Duration::seconds(secs),
        started_at: Some(start),
        external_id: None,
        params: Default::default(),
    };
    let mut out = Vec::new();
    match direction {
        Direction::In => {
            out.push(event(CallEventKind::Started, 0));
            if let Some(e) = employee {
                out.push(event(
                    CallEventKind::Ringing {
                        leg: None,
                        employee: e,
                    },
                    2,
                ));
            }
        }
        Direction::Out => {
            if let Some(e) = employee {
                out.push(event(CallEventKind::Outbound { employee: e }, 0));
            }
        }
    }
    if talked && let Some(e) = employee {
        out.push(event(CallEventKind::Answered { employee: e }, 8));
        out.push(event(
            CallEventKind::TalkFinished {
                employee: Some(e),
                talk_secs: 42,
            },
            50,
        ));
    }
    if !talked && direction == Direction::In {
        out.push(event(
            CallEventKind::Lost {
                employees_tried: employee.into_iter().collect(),
            },
            30,
        ));
    }
    out.push(CallEvent::finished(
        call,
        outcome,
        phone,
        virtual_number,
        start,
        Finished {
            talk_secs: if talked { 42 } else { 0 },
            total_secs: if talked { 50 } else { 30 },
            wait_secs: 8,
            employee,
            last_talked: if talked { employee } else { None },
            first_talked: if talked { employee } else { None },
            is_lost: Some(!talked),
        },
    ));
    out
}

pub async fn preview(
    pool: &AnyPool,
    account_id: &str,
    input: PreviewInput,
) -> anyhow::Result<PreviewAnswer> {
    let mut errors = Vec::new();
    let phone = if input.phone.trim().is_empty() {
        None
    } else {
        let p = parse_phone(&input.phone);
        if p.is_none() {
            errors.push(FieldError::new("phone", ErrorCode::BadPhone));
        }
        p
    };
    let virtual_number = if input.virtual_number.trim().is_empty() {
        None
    } else {
        let p = parse_phone(&input.virtual_number);
        if p.is_none() {
            errors.push(FieldError::new("virtual_number", ErrorCode::BadPhone));
        }
        p
    };
    let employee = if input.employee.trim().is_empty() {
        None
    } else {
        match UisEmployeeId::parse(&input.employee) {
            Ok(e) => Some(e),
            Err(_) => {
                errors.push(FieldError::new("employee", ErrorCode::BadNumber));
                None
            }
        }
    };
    if !errors.is_empty() {
        return Ok(PreviewAnswer {
            errors,
            ..PreviewAnswer::default()
        });
    }
    let direction = if input.direction == "out" {
        Direction::Out
    } else {
        Direction::In
    };
    let talked = input.outcome == "answered";
    let settings = settings(pool, account_id).await?;
    let mut known = Known {
        time_zone: time_zone(pool, account_id).await?,
        ..Known::default()
    };
    let mut steps = Vec::new();
    for ev in call_events(direction, talked, phone, virtual_number, employee) {
        let d = decide(&ev, &settings, &known);
        // What the pipeline would remember for the next notification of the call.
        if d.actions
            .iter()
            .any(|a| matches!(a, Action::ShowCallCard { .. } | Action::LogCall { .. }))
        {
            known.call_card_shown = true;
        }
        if let CallEventKind::Answered { employee } = &ev.kind {
            known.talked.first.get_or_insert(*employee);
            known.talked.last = Some(*employee);
        }
        if matches!(ev.kind, CallEventKind::Finished(_)) {
            known.call_finished = true;
        }
        steps.push(PreviewStep {
            event: ev.kind.label().to_owned(),
            actions: d
                .actions
                .iter()
                .map(|a| serde_json::to_string(a).unwrap_or_else(|_| format!("{a:?}")))
                .collect(),
            skipped: d.skipped.map(|s| s.to_string()).or_else(|| {
                d.actions
                    .is_empty()
                    .then(|| "Ни одно правило не сработало / no rule applies".to_owned())
            }),
            notes: d.notes,
        });
    }
    Ok(PreviewAnswer {
        errors: Vec::new(),
        telephony_active: settings.active,
        steps,
    })
}
