//! The emulator rejects what the real service rejects (megaplan-api.md §0, §3, §6).

use crate::employees::percent;
use crate::helpers::*;

#[tokio::test]
async fn missing_or_wrong_content_type_is_422() {
    let (emu, _) = spawn();
    let (status, v) = raw(
        &emu,
        "POST",
        "api/v3/contractorHuman",
        None,
        Some(r#"{"firstName":"Иван"}"#),
    )
    .await;
    assert_eq!((status, error_field(&v)), (422, Some("contentType")));
    assert!(v["data"].is_null());
    let (status, v) = raw(
        &emu,
        "POST",
        "api/v3/contractorHuman",
        None,
        Some(r#"{"contentType":"ContractorCompany","name":"x"}"#),
    )
    .await;
    assert_eq!((status, error_field(&v)), (422, Some("contentType")));
}

#[tokio::test]
async fn untyped_nested_objects_and_bad_value_types_are_422() {
    let (emu, _) = spawn();
    let cases = [
        r#"{"contentType":"ContractorHuman","firstName":"a","responsibles":[{"id":"1000002"}]}"#,
        r#"{"contentType":"ContractorHuman","firstName":"a","birthday":{"contentType":"DateOnly","year":1990,"month":12,"day":1}}"#,
        r#"{"contentType":"ContractorHuman","firstName":"a","timeX":{"contentType":"DateTime","value":"yesterday"}}"#,
        r#"{"contentType":"ContractorHuman","firstName":"a","contactInfo":[{"contentType":"ContactInfo","type":"pigeon","value":"x"}]}"#,
    ];
    for body in cases {
        let (status, _) = raw(&emu, "POST", "api/v3/contractorHuman", None, Some(body)).await;
        assert_eq!(status, 422, "{body}");
    }
    let ok = r#"{"contentType":"ContractorHuman","firstName":"a","birthday":{"contentType":"DateOnly","year":1990,"month":11,"day":31}}"#;
    assert_eq!(
        raw(&emu, "POST", "api/v3/contractorHuman", None, Some(ok))
            .await
            .0,
        200,
        "month 11 is December"
    );
}

#[tokio::test]
async fn malformed_json_body_and_query_are_422() {
    let (emu, _) = spawn();
    assert_eq!(
        raw(&emu, "POST", "api/v3/deal", None, Some("{not json"))
            .await
            .0,
        422
    );
    assert_eq!(
        raw(&emu, "GET", "api/v3/contractor", Some("%7Blimit"), None)
            .await
            .0,
        422
    );
}

#[tokio::test]
async fn sort_by_needs_field_name_and_limit_must_be_positive() {
    let (emu, _) = spawn();
    let bad = r#"{"sortBy":[{"contentType":"SortField","field":"timeUpdated","desc":true}]}"#;
    let (status, v) = raw(&emu, "GET", "api/v3/contractor", Some(&percent(bad)), None).await;
    assert_eq!((status, error_field(&v)), (422, Some("sortBy")));
    let good = r#"{"sortBy":[{"contentType":"SortField","fieldName":"timeUpdated","desc":true}]}"#;
    assert_eq!(
        raw(&emu, "GET", "api/v3/contractor", Some(&percent(good)), None)
            .await
            .0,
        200
    );
    assert_eq!(
        raw(
            &emu,
            "GET",
            "api/v3/contractor",
            Some(&percent(r#"{"limit":0}"#)),
            None
        )
        .await
        .0,
        422
    );
}

#[tokio::test]
async fn query_json_is_percent_decoded_with_plus_as_space_and_raw_json_is_accepted() {
    let (emu, client) = spawn();
    client
        .create_contractor_company(&megaplan::NewContractorCompany {
            name: "Ромашка Плюс".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let (status, v) = raw(&emu, "GET", "api/v3/contractor", Some("%7B%22q%22:%22%D0%A0%D0%BE%D0%BC%D0%B0%D1%88%D0%BA%D0%B0+%D0%9F%D0%BB%D1%8E%D1%81%22%7D"), None).await;
    assert_eq!(status, 200);
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    let (status, _) = raw(&emu, "GET", "api/v3/employee", Some(r#"{"limit":1}"#), None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn unknown_paths_answer_404_in_the_envelope() {
    let (emu, _) = spawn();
    let (status, v) = raw(&emu, "GET", "api/v3/nothingHere", None, None).await;
    assert_eq!(status, 404);
    assert_eq!(v["meta"]["status"], 404);
}
