//! Driving the Thryve and ROOK edges over HTTP, as a browser would: start a
//! flow, follow the aggregator's redirects to our return, read statuses and
//! the audit trail.

use healthlink_shared::{AuditPage, ConnectResponse, ConnectionStatus, ConnectionsResponse};
use healthlink_tests::edge::{Answer, Edge, client};
use healthlink_tests::env;
use reqwest::Method;

/// The body of a redirect-flow connect returning to the host page.
pub fn redirect_flow() -> serde_json::Value {
    serde_json::json!({
        "flow": "redirect",
        "return_url": format!("{}/settings", env().host_origin()),
    })
}

pub async fn start_connect(edge: Edge, session: &str, source: &str) -> Answer {
    Answer::send(
        edge.widget(
            Method::POST,
            &format!("/v1/connections/{source}/connect"),
            session,
        )
        .json(&redirect_flow()),
    )
    .await
}

/// Follows redirects from `url` (the aggregator's pages) until the edge's
/// return answers, and returns that answer.
pub async fn follow_to_return(edge: Edge, mut url: String) -> Answer {
    for _ in 0..6 {
        if url.starts_with(edge.base()) {
            return Answer::send(client().get(&url)).await;
        }
        let response = client().get(&url).send().await.expect("emulator answers");
        assert!(
            response.status().is_redirection(),
            "{url} answered {} instead of redirecting: {}",
            response.status(),
            response.text().await.unwrap_or_default()
        );
        url = response
            .headers()
            .get("location")
            .and_then(|value| value.to_str().ok())
            .expect("a Location")
            .to_owned();
    }
    panic!("the flow did not come back to the edge");
}

/// Connect → provider → return; returns the result the host page gets.
pub async fn connect(edge: Edge, session: &str, source: &str) -> String {
    let started = start_connect(edge, session, source).await;
    assert_eq!(started.status, 200, "{}", started.body);
    let ConnectResponse { url } = started.json();
    let back = follow_to_return(edge, url).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let location = back.header("location").expect("Location").to_owned();
    assert!(
        location.starts_with(&format!("{}/settings?", env().host_origin())),
        "{location}"
    );
    let url = url::Url::parse(&location).expect("URL");
    url.query_pairs()
        .find(|(name, _)| name == "healthlink_result")
        .map(|(_, value)| value.into_owned())
        .expect("a result")
}

pub async fn disconnect(edge: Edge, session: &str, source: &str) -> Answer {
    Answer::send(edge.widget(
        Method::POST,
        &format!("/v1/connections/{source}/disconnect"),
        session,
    ))
    .await
}

pub async fn list(edge: Edge, session: &str) -> ConnectionsResponse {
    let answer = Answer::send(edge.widget(Method::GET, "/v1/connections", session)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

pub async fn status(edge: Edge, session: &str, source: &str) -> ConnectionStatus {
    list(edge, session)
        .await
        .sources
        .into_iter()
        .find(|s| s.id == source)
        .unwrap_or_else(|| panic!("{source} is not listed"))
        .status
}

/// The audit trail as `(action, result, actor)`, oldest first.
pub async fn audit(edge: Edge, user: &str) -> Vec<(String, String, String)> {
    let page: AuditPage =
        Answer::send(edge.backend(Method::GET, &format!("/v1/users/{user}/audit")))
            .await
            .json();
    for entry in &page.entries {
        assert_eq!(entry.aggregator, format!("{edge:?}").to_lowercase());
    }
    page.entries
        .into_iter()
        .rev()
        .map(|entry| (entry.action, entry.result, entry.actor))
        .collect()
}

pub fn row(action: &str, result: &str, actor: &str) -> (String, String, String) {
    (action.to_owned(), result.to_owned(), actor.to_owned())
}

/// A webhook as the aggregator sends it.
pub async fn webhook(edge: Edge, secret: Option<&str>, body: &str) -> Answer {
    let name = format!("{edge:?}").to_lowercase();
    let mut request = client()
        .post(edge.url(&format!("/v1/webhooks/{name}")))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(secret) = secret {
        request = request.bearer_auth(secret);
    }
    Answer::send(request).await
}
