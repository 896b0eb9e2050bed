use crate::helpers::*;

#[tokio::test]
async fn uploaded_file_gets_a_share_link_that_serves_it_and_can_be_attached() {
    let (emu, client) = spawn();
    let file = client
        .upload_file("call \"1\".mp3", "audio/mpeg", b"ID3 fake mp3")
        .await
        .unwrap();
    assert_eq!(emu.state().files().len(), 1);
    assert_eq!(emu.state().files()[0].1.bytes, b"ID3 fake mp3");
    let link = client.share_url(&file.id).await.unwrap();
    let bytes = reqwest::get(&link).await.unwrap().bytes().await.unwrap();
    assert_eq!(&bytes[..], b"ID3 fake mp3");
    let deal = client
        .create_deal(&megaplan::NewDeal::in_program("1"))
        .await
        .unwrap();
    let owner = megaplan::Link::new("Deal", deal.id);
    let c = client
        .add_comment(&owner, "<p>Запись</p>", std::slice::from_ref(&file.id))
        .await
        .unwrap();
    assert_eq!(c.attaches, vec![file.link()]);
}
