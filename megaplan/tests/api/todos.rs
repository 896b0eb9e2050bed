use megaplan::{DateTime, Error, Id, Link, NewContractorHuman, NewDeal, NewTodo, TodoWhen};
use serde_json::{Map, json};

use crate::helpers::*;

fn call_todo(name: &str) -> NewTodo {
    let from: DateTime = chrono::DateTime::parse_from_rfc3339("2024-05-01T10:00:00+03:00")
        .unwrap()
        .into();
    let to: DateTime = chrono::DateTime::parse_from_rfc3339("2024-05-01T10:03:12+03:00")
        .unwrap()
        .into();
    NewTodo {
        name: name.into(),
        description: Some("Запись: https://rec.example.com/pbx-7f3a.mp3".into()),
        responsible: Some(Link::employee("1000003")),
        category: Some(Link::new("TodoCategory", "1")),
        when: Some(TodoWhen::Time { from, to }),
        relations: vec![],
    }
}

#[tokio::test]
async fn categories_include_a_call_one_and_statuses_cover_the_master_types() {
    let (_emu, client) = spawn();
    let cats = client.todo_categories().await.unwrap();
    assert!(
        cats.iter()
            .any(|c| c.master_type.as_deref() == Some("call"))
    );
    let statuses = client.todo_statuses().await.unwrap();
    for mt in [
        "scheduled",
        "finished",
        "success",
        "fail",
        "finish_without_result",
    ] {
        assert!(
            statuses
                .iter()
                .any(|s| s.master_type.as_deref() == Some(mt)),
            "{mt}"
        );
    }
}

#[tokio::test]
async fn standalone_todo_is_created_and_finished_with_a_status() {
    let (emu, client) = spawn();
    let todo = client.create_todo(&call_todo("Перезвонить")).await.unwrap();
    assert_eq!(todo.responsible, Some(Link::employee("1000003")));
    let read = client.todo(&todo.id).await.unwrap();
    assert_eq!(read.name.as_deref(), Some("Перезвонить"));
    let done = client
        .finish_todo(&todo.id, &Id::from("3"), "Дозвонились")
        .await
        .unwrap();
    assert_eq!(done.status, Some(Link::new("TodoStatus", "3")));
    assert!(done.time_finished.is_some());
    assert_eq!(emu.state().todos().len(), 1);
}

#[tokio::test]
async fn todo_on_a_client_or_a_deal_is_bound_to_it() {
    let (emu, client) = spawn();
    let human = client
        .create_contractor_human(&NewContractorHuman {
            first_name: Some("Пётр".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let on_client = client
        .create_todo_on(&human.link(), &call_todo("Входящий звонок"))
        .await
        .unwrap();
    assert_eq!(on_client.relations, vec![human.link()]);
    let deal = client.create_deal(&NewDeal::in_program("1")).await.unwrap();
    let on_deal = client
        .create_todo_on(&Link::new("Deal", deal.id.clone()), &call_todo("По сделке"))
        .await
        .unwrap();
    assert_eq!(on_deal.relations, vec![Link::new("Deal", deal.id)]);
    assert_eq!(emu.state().todos().len(), 2);
}

#[tokio::test]
async fn update_with_id_changes_the_todo_and_without_id_creates_a_new_one() {
    let (emu, client) = spawn();
    let todo = client.create_todo(&call_todo("Старое имя")).await.unwrap();
    let mut changes = Map::new();
    changes.insert("name".into(), json!("Новое имя"));
    let updated = client.update_todo(&todo.id, changes).await.unwrap();
    assert_eq!(updated.name.as_deref(), Some("Новое имя"));
    assert_eq!(emu.state().todos().len(), 1);
    // The live quirk the client avoids by always sending "id" (§5).
    let (status, _) = raw(
        &emu,
        "POST",
        &format!("api/v3/todo/{}", todo.id),
        None,
        Some(r#"{"contentType":"Todo","name":"Дубль"}"#),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(emu.state().todos().len(), 2);
}

#[tokio::test]
async fn untyped_when_is_rejected_like_the_real_service() {
    let (emu, client) = spawn();
    let body =
        r#"{"contentType":"Todo","name":"x","when":{"from":"2024-05-01","to":"2024-05-02"}}"#;
    let (status, v) = raw(&emu, "POST", "api/v3/todo", None, Some(body)).await;
    assert_eq!(status, 422);
    assert_eq!(error_field(&v), Some("when"));
    let mut bad = call_todo("x");
    bad.category = Some(Link::new("TodoCategory", "77"));
    assert!(matches!(
        client.create_todo(&bad).await.unwrap_err(),
        Error::Validation { .. }
    ));
}

#[tokio::test]
async fn comments_go_to_client_and_deal_journals() {
    let (emu, client) = spawn();
    let human = client
        .create_contractor_human(&NewContractorHuman {
            first_name: Some("Анна".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let html = format!(
        "<p><b>Чат с сайта</b></p><p>{}</p>",
        megaplan::comments::html_escape("Клиент: <привет>")
    );
    let c = client.add_comment(&human.link(), &html, &[]).await.unwrap();
    assert_eq!(c.content.as_deref(), Some(html.as_str()));
    assert_eq!(client.comments(&human.link()).await.unwrap().len(), 1);
    let deal = client.create_deal(&NewDeal::in_program("1")).await.unwrap();
    let body = format!(
        r#"{{"contentType":"CommentCreateActionRequest","comment":{{"contentType":"Comment","content":"<p>ok</p>","subject":{{"contentType":"Deal","id":"{}"}}}},"transports":[]}}"#,
        deal.id
    );
    let (status, _) = raw(
        &emu,
        "POST",
        &format!("api/v3/deal/{}/comments", deal.id),
        None,
        Some(&body),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(emu.state().comments().len(), 2);
    assert_eq!(emu.state().comments()[1]["subject"]["contentType"], "Deal");
}

#[tokio::test]
async fn contractor_comments_can_be_made_to_fail_like_the_pysdk_report() {
    let (emu, client) = spawn();
    let human = client
        .create_contractor_human(&NewContractorHuman {
            last_name: Some("Смирнов".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    emu.state().faults().set_contractor_comments_fail(true);
    let err = client
        .add_comment(&human.link(), "<p>x</p>", &[])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Server { status: 500, .. }), "{err:?}");
}
