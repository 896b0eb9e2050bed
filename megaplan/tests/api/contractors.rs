use std::collections::BTreeMap;

use megaplan::{
    ContactInfo, ContractorKind, ContractorUpdate, Error, Link, NewContractorCompany,
    NewContractorHuman,
};
use serde_json::json;

use crate::helpers::*;

fn ivanov() -> NewContractorHuman {
    NewContractorHuman {
        first_name: Some("Иван".into()),
        last_name: Some("Иванов".into()),
        description: Some("Источник: звонок".into()),
        contact_info: vec![ContactInfo::phone("+7 (999) 123-45-67")],
        responsibles: vec![Link::employee("1000002")],
        extra_fields: BTreeMap::from([(
            "Category183CustomFieldIstochnik".to_string(),
            json!("Яндекс.Директ"),
        )]),
        ..Default::default()
    }
}

#[tokio::test]
async fn human_is_created_with_phone_responsible_and_extra_field_then_found_by_phone() {
    let (emu, client) = spawn();
    let created = client.create_contractor_human(&ivanov()).await.unwrap();
    assert_eq!(created.content_type, "ContractorHuman");
    assert_eq!(
        created.extra_fields()["Category183CustomFieldIstochnik"],
        "Яндекс.Директ"
    );
    let found = client
        .find_contractors_by_phone("89991234567")
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, created.id);
    assert_eq!(found[0].responsibles, vec![Link::employee("1000002")]);
    assert!(
        client
            .find_contractors_by_phone("79990000000")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(emu.state().contractors().len(), 1);
    let by_id = client.contractor(&created.id).await.unwrap();
    assert_eq!(by_id.first_name.as_deref(), Some("Иван"));
}

#[tokio::test]
async fn empty_search_index_is_bridged_by_possible_duplicates() {
    let (emu, client) = spawn();
    client.create_contractor_human(&ivanov()).await.unwrap();
    emu.state().faults().set_search_index_empty(true);
    let (_, v) = raw(
        &emu,
        "GET",
        "api/v3/contractor",
        Some("%7B%22q%22%3A%2279991234567%22%7D"),
        None,
    )
    .await;
    assert!(
        v["data"].as_array().unwrap().is_empty(),
        "q finds nothing on an empty index"
    );
    let found = client
        .find_contractors_by_phone("+79991234567")
        .await
        .unwrap();
    assert_eq!(
        found.len(),
        1,
        "the client falls back to possibleDuplicates"
    );
    let dups = client
        .possible_duplicates_by_phone("8 999 123 45 67")
        .await
        .unwrap();
    assert_eq!(dups.len(), 1);
}

#[tokio::test]
async fn company_is_created_with_a_name() {
    let (_emu, client) = spawn();
    let company = client
        .create_contractor_company(&NewContractorCompany {
            name: "ООО Ромашка".into(),
            contact_info: vec![
                ContactInfo::phone("+74950001122"),
                ContactInfo::email("info@romashka.ru"),
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(company.is_company());
    assert_eq!(company.name.as_deref(), Some("ООО Ромашка"));
}

#[tokio::test]
async fn missing_required_extra_field_is_rejected_with_its_name() {
    let (emu, client) = spawn();
    emu.state()
        .set_contractor_extra_field_required("Category184CustomFieldRegion", true);
    let err = client.create_contractor_human(&ivanov()).await.unwrap_err();
    match err {
        Error::Validation { field, .. } => {
            assert_eq!(field.as_deref(), Some("Category184CustomFieldRegion"))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn unknown_responsible_is_rejected() {
    let (_emu, client) = spawn();
    let mut new = ivanov();
    new.responsibles = vec![Link::employee("42")];
    let err = client.create_contractor_human(&new).await.unwrap_err();
    assert!(
        matches!(err, Error::Validation { field: Some(ref f), .. } if f == "responsibles"),
        "{err:?}"
    );
}

#[tokio::test]
async fn update_changes_responsibles_and_extra_fields_and_keeps_the_rest() {
    let (emu, client) = spawn();
    let created = client.create_contractor_human(&ivanov()).await.unwrap();
    let updated = client
        .update_contractor(
            ContractorKind::Human,
            &created.id,
            &ContractorUpdate {
                responsibles: Some(vec![Link::employee("1000003")]),
                extra_fields: BTreeMap::from([(
                    "Category184CustomFieldRegion".to_string(),
                    json!("Москва"),
                )]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.responsibles, vec![Link::employee("1000003")]);
    assert_eq!(updated.extra_fields().len(), 2);
    assert!(updated.has_phone("+79991234567"));
    assert_eq!(emu.state().contractors().len(), 1, "update did not create");
    let mine = client
        .contractors_by_responsible(&"1000003".into())
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert!(
        client
            .contractors_by_responsible(&"1000002".into())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn extra_field_catalogue_lists_names_and_labels() {
    let (_emu, client) = spawn();
    let fields = client
        .contractor_extra_fields(ContractorKind::Human)
        .await
        .unwrap();
    assert!(
        fields
            .iter()
            .any(|f| f.name == "Category183CustomFieldIstochnik"
                && f.hr_name.as_deref() == Some("Источник"))
    );
    assert_eq!(
        client
            .contractor_extra_fields(ContractorKind::Company)
            .await
            .unwrap()
            .len(),
        fields.len()
    );
}
