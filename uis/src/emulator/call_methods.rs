//! The Call API methods of the emulator: click-to-call plays out in the background.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::Inner;
use super::rpc::{Fail, MethodResult};
use super::simulator::{CallScript, Flow};
use crate::call_api::{ActiveCall, CallLeg};
use crate::rpc::Mnemonic;

pub(crate) fn start_employee_call(inner: &Arc<Inner>, params: Map<String, Value>) -> MethodResult {
    let text = |name: &str| -> Result<String, Fail> {
        match params.get(name) {
            None | Some(Value::Null) => Err(Fail::missing(name)),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(Fail::field(
                Mnemonic::DataTypeError,
                name,
                format!("{name} must be a string"),
            )),
        }
    };
    let first_call = text("first_call")?;
    if first_call != "employee" && first_call != "contact" {
        return Err(Fail::invalid("first_call"));
    }
    let virtual_number = text("virtual_phone_number")?;
    let contact = text("contact")?;
    let employee = params
        .get("employee")
        .ok_or_else(|| Fail::missing("employee"))?;
    let employee_id = employee
        .get("id")
        .and_then(Value::as_i64)
        .ok_or_else(|| Fail::missing("employee.id"))?;
    let direction = match params.get("direction") {
        None => "in".to_string(),
        Some(v) => match v.as_str() {
            Some(d @ ("in" | "out")) => d.to_string(),
            _ => return Err(Fail::invalid("direction")),
        },
    };
    let external_id = params
        .get("external_id")
        .and_then(Value::as_str)
        .map(str::to_string);
    let call_session_id = {
        let mut st = inner.state();
        if !st.is_own_virtual_number(&virtual_number) {
            return Err(Fail::field(
                Mnemonic::VirtualPhoneNumberNotFound,
                "virtual_phone_number",
                "Virtual phone number not found",
            ));
        }
        if st.is_own_virtual_number(&contact) {
            return Err(Fail::field(
                Mnemonic::OwnVirtualPhoneNumberNotAllowed,
                "contact",
                "Own virtual phone number is not allowed",
            ));
        }
        let emp = st.employee(employee_id).ok_or_else(|| {
            Fail::field(
                Mnemonic::EmployeeNotFound,
                "employee.id",
                "Employee not found",
            )
        })?;
        if !emp
            .phone_numbers
            .iter()
            .any(|p| p.status.as_deref() != Some("inactive"))
        {
            return Err(Fail::field(
                Mnemonic::NoActivePhoneNumber,
                "employee.id",
                "Employee has no active phone number",
            ));
        }
        let emp = emp.clone();
        let id = st.next_id();
        st.started_calls.push(super::state::StartedCall {
            call_session_id: id,
            params: Value::Object(params.clone()),
        });
        let now = st.now().with_timezone(&inner.tz).naive_local();
        let call = ActiveCall {
            call_session_id: id,
            direction: Some(direction.clone()),
            start_time: Some(crate::time::format(now)),
            virtual_phone_number: Some(virtual_number.clone()),
            contact_phone_number: Some(contact.clone()),
            external_id: external_id.clone(),
            legs: vec![CallLeg {
                leg_id: id * 10 + 1,
                calling_phone_number: Some(virtual_number.clone()),
                called_phone_number: emp.phone_numbers.first().map(|p| p.phone_number.clone()),
                is_operator: Some(true),
                employee_id: Some(emp.id),
                employee_full_name: emp.full_name.clone(),
                record_call_enabled: Some(true),
                state: Some("Разговор".into()),
            }],
        };
        let release = Arc::new(tokio::sync::Notify::new());
        st.active_calls
            .insert(id, super::state::ActiveEntry { call, release });
        id
    };
    let script = CallScript {
        flow: Flow::Outbound,
        contact_phone_number: contact,
        virtual_phone_number: Some(virtual_number),
        employee_ids: vec![employee_id],
        external_id,
        direction: Some(direction),
        call_source: Some("callapi".into()),
        ..CallScript::default()
    };
    // The call plays out in the background, like a real one; the answer does not wait for it.
    let task_inner = inner.clone();
    tokio::spawn(async move {
        let simulation = super::simulator::run(&task_inner, script, Some(call_session_id)).await;
        let mut st = task_inner.state();
        st.active_calls.remove(&call_session_id);
        st.simulations.push(simulation);
    });
    Ok(json!({"call_session_id": call_session_id}))
}

pub(crate) fn release_call(inner: &Arc<Inner>, params: &Map<String, Value>) -> MethodResult {
    let id = params
        .get("call_session_id")
        .ok_or_else(|| Fail::missing("call_session_id"))?;
    let id = id.as_i64().ok_or_else(|| {
        Fail::field(
            Mnemonic::DataTypeError,
            "call_session_id",
            "must be an integer",
        )
    })?;
    let st = inner.state();
    let entry = st.active_calls.get(&id).ok_or_else(|| {
        Fail::field(
            Mnemonic::CallSessionNotFound,
            "call_session_id",
            "Call session not found",
        )
    })?;
    entry.release.notify_one();
    // The docs show the string "true".
    Ok(json!({"success": "true"}))
}

pub(crate) fn list_calls(inner: &Arc<Inner>, params: &Map<String, Value>) -> MethodResult {
    let direction = params.get("direction").and_then(Value::as_str);
    let number = params.get("virtual_phone_number").and_then(Value::as_str);
    let st = inner.state();
    let calls: Vec<&ActiveCall> = st
        .active_calls
        .values()
        .map(|e| &e.call)
        .filter(|c| direction.is_none_or(|d| c.direction.as_deref() == Some(d)))
        .filter(|c| number.is_none_or(|n| c.virtual_phone_number.as_deref() == Some(n)))
        .collect();
    Ok(serde_json::to_value(calls).unwrap_or_default())
}
