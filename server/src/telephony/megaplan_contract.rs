//! The contract between Megaplan and us for click-to-call (T11) and do-not-disturb (T15).
//!
//! The request Megaplan's built-in «Подключение к телефонии по API» sends when a user clicks a number is
//! not documented (megaplan-api.md §8), so the contract is ours, small, and lives only here. A Megaplan
//! application widget (`public/megaplan-telephony-widget.js`) calls it from the user's browser.
//!
//! ```text
//! POST /hooks/megaplan/{account_key}/telephony/call
//! X-Uis-Megaplan-Token: <the account's telephony token>
//! Content-Type: application/json
//! {"employee_id": "1000002", "phone": "+7 999 123-45-67", "external_id": "mp-task-4711"}
//! → 200 {"call_session_id": 237859081, "external_id": "mp-task-4711"}
//!
//! POST /hooks/megaplan/{account_key}/telephony/dnd
//! X-Uis-Megaplan-Token: <the account's telephony token>
//! {"employee_id": "1000002", "dnd": true}
//! → 200 {"employee_id": "1000002", "uis_employee_id": 5002, "dnd": true, "status": "do_not_disturb", "status_id": 3}
//!
//! GET /hooks/megaplan/{account_key}/telephony/dnd?employee_id=1000002
//! X-Uis-Megaplan-Token: <the account's telephony token>
//! → 200 {"employee_id": "1000002", "uis_employee_id": 5002, "dnd": false, "status": "break", "status_id": 2}
//! ```
//!
//! - `employee_id`: the Megaplan user (Employee id) who clicks / switches the web phone's mode.
//! - `phone`: the client's number in any usual writing; it must be a valid number.
//! - `external_id` (optional, ≤ 64 characters): comes back in the UIS notifications of the call (and
//!   `call_api_external_id` in reports), so the call is correlated; one is generated when absent.
//! - `GET …/dnd` reads the UIS employee's status as it is now, so the web phone's switch follows a
//!   change made in UIS (its softphone, its admin pages): the widget asks on load and every minute.
//!   The server reads UIS at most once per `--uis-status-refresh-secs` (60) per account, for all
//!   its users: each Data API call costs one of the account's daily points.
//!   `dnd` is true only for the status `do_not_disturb`; `status` is the status's mnemonic
//!   (`unknown` when UIS lists no status with the employee's `status_id`).
//! - The token: since these requests start real calls, the account key in the path is not enough. The
//!   token is `hex(HMAC-SHA256(server secret key, "megaplan-telephony:" + account id))`: stable, per
//!   account, nothing to store; the admin pastes it into the widget's settings with the URLs.
//!   `OPTIONS` answers the browser's CORS preflight.
//! - Errors: `{"error": "<code>", "message": "<text>"}` with 400 `bad_request` / `bad_phone`,
//!   401 `bad_token`, 404 `unknown_account` / `unknown_employee` (not in Megaplan's telephony settings
//!   as last synchronised, T1), 409 `no_uis_employee` (the employee has no UIS employee, or UIS no
//!   longer has it: run the employee sync) /
//!   `integration_inactive` (the telephony section is not activated, T16),
//!   422 `no_click_to_call_number` / `no_dnd_status`, 502 `uis_error` (UIS refused; the message says why).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::secret::SecretKey;

/// Where the server serves the widget's script (`public/`).
pub const WIDGET_SCRIPT: &str = "/megaplan-telephony-widget.js";

/// The header that carries the account's telephony token.
pub const TOKEN_HEADER: &str = "x-uis-megaplan-token";

/// `POST …/telephony/call`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRequest {
    pub employee_id: String,
    pub phone: String,
    #[serde(default)]
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallStarted {
    pub call_session_id: i64,
    pub external_id: String,
}

/// `POST …/telephony/dnd`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DndRequest {
    pub employee_id: String,
    pub dnd: bool,
}

/// `GET …/telephony/dnd?employee_id=…`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DndQuery {
    pub employee_id: String,
}

/// The answer of both `…/dnd` requests: the UIS employee's status now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DndState {
    pub employee_id: String,
    pub uis_employee_id: i64,
    /// «Не беспокоить» is on.
    pub dnd: bool,
    /// The status's mnemonic in UIS: `do_not_disturb`, `available`, `break`, … or `unknown`.
    pub status: String,
    pub status_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractError {
    pub error: String,
    pub message: String,
}

/// The account's telephony token (see the module comment).
pub fn token(key: &SecretKey, account_id: &str) -> String {
    hex::encode(hmac_sha256(
        &key.0,
        format!("megaplan-telephony:{account_id}").as_bytes(),
    ))
}

/// Whether `presented` is the account's token; compared in constant time.
pub fn verify(key: &SecretKey, account_id: &str, presented: &str) -> bool {
    let want = token(key, account_id);
    let got = presented.trim().as_bytes();
    want.len() == got.len()
        && want
            .as_bytes()
            .iter()
            .zip(got)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// RFC 2104 over SHA-256 (block size 64).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_token_is_per_account_and_verified_exactly() {
        let key = SecretKey([7; 32]);
        let a = token(&key, "acc-a");
        assert_ne!(a, token(&key, "acc-b"));
        assert!(verify(&key, "acc-a", &a));
        assert!(!verify(&key, "acc-b", &a));
        assert!(!verify(&key, "acc-a", &a[..10]));
    }
}
