use std::collections::BTreeMap;

use megaplan::{DealUpdate, Error, Id, Link, Money, NewContractorHuman, NewDeal};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn programs_list_and_one_program_has_states_and_fields() {
    let (_emu, client) = spawn();
    let programs = client.programs().await.unwrap();
    assert_eq!(programs.len(), 2);
    let sales = client.program(&Id::from("1")).await.unwrap();
    assert_eq!(sales.states.len(), 4);
    assert_eq!(sales.states[0].is_entry, Some(true));
    assert!(
        sales
            .states
            .iter()
            .any(|s| s.kind.as_deref() == Some("positive"))
    );
    let fields = client.program_fields(&Id::from("1")).await.unwrap();
    assert!(
        fields
            .iter()
            .any(|f| f.name.starts_with("Category130CustomField"))
    );
}

#[tokio::test]
async fn deal_is_created_in_the_entry_state_with_manager_contractor_price_and_extra_field() {
    let (emu, client) = spawn();
    let human = client
        .create_contractor_human(&NewContractorHuman {
            first_name: Some("Иван".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut new = NewDeal::in_program("1");
    new.name = Some("Заявка с сайта".into());
    new.manager = Some(Link::employee("1000003"));
    new.contractor = Some(human.link());
    new.price = Some(Money::main(15000.0, "RUB"));
    new.extra_fields = BTreeMap::from([(
        "Category130CustomFieldIstochnik".to_string(),
        json!("call-tracking"),
    )]);
    let deal = client.create_deal(&new).await.unwrap();
    assert_eq!(deal.state.as_ref().unwrap().id.as_str(), "11");
    assert_eq!(deal.manager, Some(Link::employee("1000003")));
    assert_eq!(deal.price.as_ref().unwrap().value, 15000.0);
    assert_eq!(
        deal.other["Category130CustomFieldIstochnik"],
        "call-tracking"
    );
    assert_eq!(deal.possible_transitions.len(), 3);
    assert_eq!(emu.state().deals().len(), 1);
}

#[tokio::test]
async fn deal_without_program_is_rejected() {
    let (emu, _) = spawn();
    let (status, v) = raw(
        &emu,
        "POST",
        "api/v3/deal",
        None,
        Some(r#"{"contentType":"Deal","name":"x"}"#),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(error_field(&v), Some("program"));
}

#[tokio::test]
async fn update_changes_fields_but_ignores_state() {
    let (emu, client) = spawn();
    let deal = client.create_deal(&NewDeal::in_program("1")).await.unwrap();
    let updated = client
        .update_deal(
            &deal.id,
            &DealUpdate {
                name: Some("Новое".into()),
                manager: Some(Link::employee("1000002")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("Новое"));
    let body = format!(
        r#"{{"contentType":"Deal","id":"{}","state":{{"contentType":"ProgramState","id":"13"}}}}"#,
        deal.id
    );
    let (status, v) = raw(
        &emu,
        "POST",
        &format!("api/v3/deal/{}", deal.id),
        None,
        Some(&body),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(v["data"]["state"]["id"], "11", "state is silently ignored");
}

#[tokio::test]
async fn apply_transition_moves_the_deal_and_impossible_moves_are_rejected() {
    let (_emu, client) = spawn();
    let deal = client.create_deal(&NewDeal::in_program("1")).await.unwrap();
    let moved = client
        .move_deal_to_state(&deal.id, &Id::from("13"))
        .await
        .unwrap();
    assert_eq!(
        moved.state.as_ref().unwrap().kind.as_deref(),
        Some("positive")
    );
    let read = client.deal(&deal.id).await.unwrap();
    assert_eq!(read.state.unwrap().id.as_str(), "13");
    let foreign = client.program(&Id::from("2")).await.unwrap().transitions[0].clone();
    let err = client
        .apply_transition(&deal.id, &foreign)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err:?}");
}
