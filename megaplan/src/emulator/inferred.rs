//! Every emulator behaviour that megaplan-api.md marks inferred (**I**) or unknown (**?**), in one place,
//! so each can be checked against a live account and changed here. `megaplan/README.md` lists them.

use std::time::Duration;

/// §1 (I): a wrong login or password answers 401 `invalid_grant` (bshaffer oauth2-server style).
pub const BAD_CREDENTIALS_STATUS: u16 = 401;
/// §1 (I): an unknown or used refresh token answers 400 `invalid_grant`.
pub const BAD_REFRESH_STATUS: u16 = 400;
/// §1 (I): a refresh grant rotates the refresh token (the old one stops working).
pub const REFRESH_TOKEN_ROTATES: bool = true;
/// §1 (?): access-token lifetime; the documented sample says two days (TS claims ≥180 days).
pub const TOKEN_TTL: Duration = Duration::from_secs(172_800);
/// §0 (I): error answers carry `"data": null`.
pub const ERROR_DATA: serde_json::Value = serde_json::Value::Null;
/// §0 (I): a `limit` above this is clamped, not rejected.
pub const MAX_PAGE_LIMIT: usize = 100;
/// §0 (I): non-JSON `a=b` query strings are read as string parameters instead of 422.
pub const PLAIN_QUERY_PARAMS_ACCEPTED: bool = true;
/// §0/§3 (I): a link entity pointing at nothing (unknown employee, category…) is a 422 on that field.
pub const UNKNOWN_LINK_IS_422: bool = true;
/// §3 (?): a ContractorHuman needs at least one of firstName/lastName/middleName/name.
pub const HUMAN_NEEDS_A_NAME: bool = true;
/// §3 (I): `contactInfo` in an update replaces the whole array (merge is per top-level key).
pub const CONTACT_INFO_REPLACED_WHOLE: bool = true;
/// §5 (PYSDK live): `POST /todo/{id}` without `id` creates a new todo; default of the knob.
pub const TODO_UPDATE_WITHOUT_ID_CREATES: bool = true;
/// §5 (?): the accepted `when` is `IntervalTime` of DateTime or `IntervalDates` of DateOnly, typed.
pub const TODO_WHEN_MUST_BE_TYPED: bool = true;
/// §4 (I): `callInfo/history` stores calls as `finished` whatever `state` says, upserting by `providerId`.
pub const HISTORY_FORCES_FINISHED: bool = true;
/// §8 (I): the pop-up goes to `toUser` (in/miss) or `fromUser` (out) if an Employee, else to the owner of
/// the extension in `toPhone`/`fromPhone` per `callUserConfig.internalNumber`.
pub const WIDGET_RECIPIENT_FROM_EXTENSION: bool = true;
/// §4 (I): `setContractor` writes `fromUser` for in/miss calls and `toUser` for outgoing ones.
pub const SET_CONTRACTOR_SIDE_BY_TYPE: bool = true;
/// §10: seconds the PBX should wait for the routed employee.
pub const CALL_ROUTE_TIMEOUT_SECS: u64 = 20;
/// §10 / item 15 (I): a number without a responsible routes to the seed's default group with this type.
pub const DEFAULT_ROUTE_TYPE: &str = "all";
/// §0 Files (I): `POST /api/file` answers `data` as an array of File (one per `files[]` part).
pub const FILE_UPLOAD_ANSWERS_ARRAY: bool = true;
/// §9 (I): the install callback is a GET to `preferencesUri` with the parameters in the query string.
pub const INSTALL_CALLBACK_IS_GET: bool = true;
/// §9 (I): webhook bodies carry the entity as `GET /{entity}/{id}` would show it.
pub const WEBHOOK_DATA_IS_FULL_ENTITY: bool = true;
/// §6 (I): every state of a seeded program may move to every other state.
pub const ALL_TRANSITIONS_ALLOWED: bool = true;
