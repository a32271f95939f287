//! Walking a connect flow over plain HTTP, as a browser would.

use healthlink_shared::ConnectResponse;
use healthlink_tests::edge::{Answer, client, widget};
use reqwest::Method;

/// Starts a connect and returns the consent page URL.
pub async fn start_connect(session: &str, source: &str, body: serde_json::Value) -> Answer {
    Answer::send(
        widget(
            Method::POST,
            &format!("/v1/connections/{source}/connect"),
            session,
        )
        .json(&body),
    )
    .await
}

/// The href of the consent page's Allow or Deny link.
pub async fn consent_link(consent_url: &str, allow: bool) -> String {
    let page = Answer::send(client().get(consent_url)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    consent_href(&page.body, allow).expect("consent link")
}

/// The href of the Allow or Deny link in a sandbox consent page's HTML.
pub fn consent_href(page: &str, allow: bool) -> Option<String> {
    let id = if allow {
        "id=\"allow\" href=\""
    } else {
        "id=\"deny\" href=\""
    };
    let start = page.find(id)? + id.len();
    let end = start + page[start..].find('"')?;
    Some(page[start..end].replace("&amp;", "&"))
}

/// Connect → consent → Allow/Deny; returns the `/v1/return` answer and the
/// return URL, so a test can replay it.
pub async fn walk_connect(
    session: &str,
    source: &str,
    body: serde_json::Value,
    allow: bool,
) -> (Answer, String) {
    let started = start_connect(session, source, body).await;
    assert_eq!(started.status, 200, "{}", started.body);
    let ConnectResponse { url } = started.json();
    let back = consent_link(&url, allow).await;
    (Answer::send(client().get(&back)).await, back)
}

/// The redirect body for a host page on the allowed return URL.
pub fn redirect_body(return_path: &str) -> serde_json::Value {
    serde_json::json!({
        "flow": "redirect",
        "return_url": format!("{}{return_path}", healthlink_tests::env().host_origin()),
    })
}
