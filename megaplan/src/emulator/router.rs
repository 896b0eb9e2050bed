//! The route table: the same paths as `https://<account>.megaplan.ru` (megaplan-api.md §0–§10).

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use bytes::Bytes;

use super::wire::{ApiError, ApiResult};
use super::{Shared, auth, calls, comments, contractors, deals, employees, faults, files, todos};

/// Comments routes for one owner resource (§7).
fn comment_routes(r: Router<Shared>, resource: &'static str) -> Router<Shared> {
    r.route(
        &format!("/api/v3/{resource}/{{id}}/comments"),
        get(move |State(s): State<Shared>, Path(id): Path<String>, RawQuery(q): RawQuery| async move {
            comments::list(s, resource, id, q).await
        })
        .post(move |State(s): State<Shared>, Path(id): Path<String>, body: Bytes| async move {
            comments::create(s, resource, id, body).await
        }),
    )
}

/// Todo sub-resources for one owner (§4, §5 Binding).
fn todo_routes(r: Router<Shared>, resource: &'static str, owner: &'static str) -> Router<Shared> {
    r.route(
        &format!("/api/v3/{resource}/{{id}}/todos"),
        post(
            move |State(s): State<Shared>, Path(id): Path<String>, body: Bytes| async move {
                todos::create_on(s, owner, id, body).await
            },
        ),
    )
}

/// After a request that may have written (anything but GET), tells [`super::EmulatorState::changes`]
/// watchers.
async fn announce_change(
    State(s): State<Shared>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let writes = req.method() != axum::http::Method::GET;
    let response = next.run(req).await;
    if writes {
        tracing::trace!(target: "latency", stage = "emulator announced");
        s.changes.send_modify(|n| *n += 1);
    }
    response
}

async fn not_found() -> ApiResult {
    Err(ApiError::not_found("Ресурс"))
}

pub(crate) fn build(shared: Shared) -> Router {
    let mut api = Router::new()
        .route("/api/v3/accountInfo", get(employees::account_info))
        .route("/api/v3/employee", get(employees::list))
        .route("/api/v3/employee/{id}", get(employees::get))
        .route(
            "/api/v3/callUserConfig",
            get(employees::list_configs).post(employees::create_config),
        )
        .route(
            "/api/v3/callUserConfig/Employee/{id}",
            get(employees::config_of_employee).delete(employees::delete_config_of_employee),
        )
        .route(
            "/api/v3/callUserConfig/{id}",
            get(employees::get_config).post(employees::update_config),
        )
        .route("/api/v3/contractor", get(contractors::list))
        .route(
            "/api/v3/contractor/possibleDuplicates",
            get(contractors::possible_duplicates),
        )
        .route("/api/v3/contractor/{id}", get(contractors::get_any))
        .route("/api/v3/contractorHuman", post(contractors::create_human))
        .route(
            "/api/v3/contractorHuman/extraFields",
            get(contractors::extra_fields),
        )
        .route(
            "/api/v3/contractorHuman/{id}",
            get(contractors::get_human).post(contractors::update_human),
        )
        .route(
            "/api/v3/contractorCompany",
            post(contractors::create_company),
        )
        .route(
            "/api/v3/contractorCompany/extraFields",
            get(contractors::extra_fields),
        )
        .route(
            "/api/v3/contractorCompany/{id}",
            get(contractors::get_company).post(contractors::update_company),
        )
        .route("/api/v3/todoCategory", get(todos::categories))
        .route("/api/v3/todoStatus", get(todos::statuses))
        .route("/api/v3/todo", get(todos::list).post(todos::create))
        .route("/api/v3/todo/{id}", get(todos::get).post(todos::update))
        .route("/api/v3/todo/{id}/doAction", post(todos::do_action))
        .route("/api/v3/program", get(deals::programs))
        .route("/api/v3/program/{id}", get(deals::program))
        .route("/api/v3/program/{id}/states", get(deals::program_states))
        .route("/api/v3/program/{id}/fields", get(deals::program_fields))
        .route("/api/v3/deal", get(deals::list).post(deals::create))
        .route("/api/v3/deal/{id}", get(deals::get).post(deals::update))
        .route(
            "/api/v3/deal/{id}/applyTransition",
            post(deals::apply_transition),
        )
        .route("/api/v3/callInfo", get(calls::list).post(calls::create))
        .route(
            "/api/v3/callInfo/provider",
            get(calls::get_by_provider).post(calls::update_by_provider),
        )
        .route("/api/v3/callInfo/history", post(calls::history))
        .route("/api/v3/callInfo/{id}", get(calls::get).post(calls::update))
        .route(
            "/api/v3/callInfo/{id}/setContractor",
            post(calls::set_contractor),
        )
        .route("/api/v3/callRoute", get(calls::call_route))
        // DEV wrote the URI with a trailing slash (§10).
        .route("/api/v3/callRoute/", get(calls::call_route))
        .route("/api/file", post(files::upload))
        .route("/api/v3/attache/shareUrl/{id}", get(files::share_url));
    for resource in [
        "contractor",
        "contractorHuman",
        "contractorCompany",
        "deal",
        "todo",
        "callInfo",
    ] {
        api = comment_routes(api, resource);
    }
    for (resource, owner) in [
        ("contractorHuman", "ContractorHuman"),
        ("contractorCompany", "ContractorCompany"),
        ("deal", "Deal"),
        ("callInfo", "CallInfo"),
    ] {
        api = todo_routes(api, resource, owner);
    }
    let api = api.route_layer(from_fn_with_state(shared.clone(), auth::require_bearer));
    Router::new()
        .route("/api/v3/auth/access_token", post(auth::access_token))
        .route("/shared/file/{id}", get(files::shared_file))
        // Not Megaplan: a read-only view of the emulated account for demo mode and debugging.
        .route("/_emulator/state", get(super::state::snapshot))
        .merge(api)
        .fallback(|| async { not_found().await.into_response() })
        .layer(from_fn_with_state(shared.clone(), announce_change))
        .layer(from_fn_with_state(shared.clone(), faults::layer))
        .with_state(shared)
}
