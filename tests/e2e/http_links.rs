//! Hosted connect links over HTTP: minted by the backend, opened as a page
//! in the user's language, single-use, revoked, listed without tokens,
//! ended by erasure; refused links get a friendly page with a 4xx, never a
//! JSON error.

use healthlink_shared::{LinkCreated, LinkList, LinkState};
use healthlink_tests::edge::{Answer, Edge, client, remember_link_token, remember_session};
use healthlink_tests::unique;
use reqwest::Method;

async fn mint(edge: Edge, body: serde_json::Value) -> Answer {
    Answer::send(edge.backend(Method::POST, "/v1/links").json(&body)).await
}

async fn minted(edge: Edge, body: serde_json::Value) -> LinkCreated {
    let answer = mint(edge, body).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let link: LinkCreated = answer.json();
    remember_link_token(link.url.rsplit('/').next().unwrap_or_default());
    link
}

/// Opens the link as a browser would (no redirects followed).
async fn open(url: &str, language: Option<&str>) -> Answer {
    let mut request = client().get(url);
    if let Some(language) = language {
        request = request.header("accept-language", language);
    }
    Answer::send(request).await
}

/// The page's session, remembered for the leak scan.
fn session_in(page: &str) -> &str {
    let session = page
        .split("session=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page holds a session");
    remember_session(session);
    session
}

async fn links_of(edge: Edge, user: &str) -> LinkList {
    let answer = Answer::send(edge.backend(Method::GET, &format!("/v1/users/{user}/links"))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

async fn revoke(edge: Edge, id: &str) -> Answer {
    Answer::send(edge.backend(Method::DELETE, &format!("/v1/links/{id}"))).await
}

fn assert_page_headers(answer: &Answer) {
    assert!(
        answer
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/html"),
        "{:?}",
        answer.header("content-type")
    );
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    assert_eq!(answer.header("referrer-policy"), Some("no-referrer"));
    let csp = answer.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
}

#[tokio::test]
async fn a_link_opens_a_page_with_a_session_for_its_user_only() {
    let edge = Edge::Sandbox;
    let user = unique("link");
    let link = minted(
        edge,
        serde_json::json!({
            "user_id": user,
            "sources": ["garmin", "oura"],
            "locale": "de",
            "return_url": "healthlink-e2e://connected",
        }),
    )
    .await;
    assert!(
        link.url.starts_with(&edge.url("/connect/hll1.")),
        "{}",
        link.url
    );
    assert!(!link.url.contains(&user) && !link.id.contains(&user));
    let page = open(&link.url, Some("fr")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_page_headers(&page);
    assert!(
        page.body.contains("<html lang=\"de\">"),
        "the link's language"
    );
    assert!(page.body.contains("href=\"healthlink-e2e://connected\""));
    assert!(page.body.contains("Zurück zu Healthlink e2e"));

    // The page's session lists this user's sources, from this edge's own
    // origin, and only those the link offers.
    let session = session_in(&page.body);
    let from = |origin: &str| {
        client()
            .get(edge.url("/v1/connections"))
            .bearer_auth(session)
            .header("origin", origin)
    };
    let list = Answer::send(from(edge.base())).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let ids: Vec<String> = list
        .json::<healthlink_shared::ConnectionsResponse>()
        .sources
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, vec!["garmin".to_owned(), "oura".to_owned()]);
    // Not even from the host's own pages: the session is the link page's.
    let host = Answer::send(edge.widget(Method::GET, "/v1/connections", session)).await;
    host.expect_problem(403, "origin_not_allowed");

    // Audited: created by the backend, opened by the user.
    let audit = Answer::send(edge.backend(Method::GET, &format!("/v1/users/{user}/audit"))).await;
    let rows: Vec<(String, String, String)> = audit
        .json::<healthlink_shared::AuditPage>()
        .entries
        .into_iter()
        .map(|e| (e.action, e.result, e.actor))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("link_open".into(), "opened".into(), "user".into()),
            ("link_create".into(), "issued".into(), "backend".into()),
        ]
    );
}

#[tokio::test]
async fn single_use_revoked_tampered_and_erased_links_get_their_page() {
    let edge = Edge::Sandbox;
    let user = unique("link-ends");
    let once = minted(
        edge,
        serde_json::json!({ "user_id": user, "single_use": true }),
    )
    .await;
    assert_eq!(open(&once.url, None).await.status, 200);
    let again = open(&once.url, Some("es-ES,es;q=0.9")).await;
    assert_eq!(again.status, 410);
    assert_page_headers(&again);
    assert!(
        again.body.contains("Este enlace ya se ha usado"),
        "{}",
        again.body
    );
    assert!(!again.body.contains("session="));

    let revoked = minted(edge, serde_json::json!({ "user_id": user })).await;
    assert_eq!(revoke(edge, &revoked.id).await.status, 204);
    let page = open(&revoked.url, Some("pt")).await;
    assert_eq!(page.status, 410);
    assert!(page.body.contains("Esta ligação já não é válida"));

    let mut tampered = revoked.url.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let page = open(&tampered, None).await;
    assert_eq!(page.status, 404);
    assert_page_headers(&page);
    assert!(page.body.contains("This link does not work"));
    assert_eq!(open(&edge.url("/connect/whatever"), None).await.status, 404);

    let states: Vec<LinkState> = links_of(edge, &user)
        .await
        .links
        .iter()
        .map(|l| l.state)
        .collect();
    assert_eq!(states, vec![LinkState::Revoked, LinkState::Consumed]);
    let listed = serde_json::to_string(&links_of(edge, &user).await).unwrap();
    assert!(!listed.contains("hll1."), "no tokens in the list: {listed}");

    let live = minted(edge, serde_json::json!({ "user_id": user })).await;
    let erased = Answer::send(edge.backend(Method::DELETE, &format!("/v1/users/{user}"))).await;
    assert_eq!(erased.status, 204, "{}", erased.body);
    assert_eq!(open(&live.url, None).await.status, 404);
    assert!(links_of(edge, &user).await.links.is_empty());
    revoke(edge, &live.id)
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn minting_is_checked_and_needs_the_api_key() {
    let edge = Edge::Sandbox;
    let user = unique("link-mint");
    for (body, code) in [
        (
            serde_json::json!({ "user_id": user, "expires_in": 59 }),
            "invalid_request",
        ),
        (
            serde_json::json!({ "user_id": user, "expires_in": 604_801 }),
            "invalid_request",
        ),
        (
            serde_json::json!({ "user_id": user, "sources": ["myspace"] }),
            "invalid_request",
        ),
        (
            serde_json::json!({ "user_id": "not a user" }),
            "invalid_user_id",
        ),
        (
            serde_json::json!({ "user_id": user, "return_url": "healthlink-e2e-evil://connected" }),
            "return_url_not_allowed",
        ),
        (
            serde_json::json!({ "user_id": user, "return_url": "healthlink-e2e://connected/x" }),
            "return_url_not_allowed",
        ),
        (
            serde_json::json!({ "user_id": user, "return_url": "https://evil.example/" }),
            "return_url_not_allowed",
        ),
    ] {
        let answer = mint(edge, body.clone()).await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.body);
        answer.expect_problem(400, code);
    }
    let week = minted(
        edge,
        serde_json::json!({ "user_id": user, "expires_in": 604_800 }),
    )
    .await;
    assert!(!week.expires_at.is_empty());
    let keyless = Answer::send(
        client()
            .post(edge.url("/v1/links"))
            .json(&serde_json::json!({ "user_id": user })),
    )
    .await;
    keyless.expect_problem(401, "unauthorized");
    assert_eq!(
        links_of(edge, &user).await.links.len(),
        1,
        "only the week-long one"
    );
}

#[tokio::test]
async fn an_expired_link_says_so() {
    let edge = Edge::Sandbox;
    let user = unique("link-expired");
    let link = minted(
        edge,
        serde_json::json!({ "user_id": user, "expires_in": 60 }),
    )
    .await;
    assert_eq!(open(&link.url, None).await.status, 200);
    // The shortest lifetime there is, waited out once.
    tokio::time::sleep(std::time::Duration::from_secs(61)).await;
    let page = open(&link.url, Some("de")).await;
    assert_eq!(page.status, 410);
    assert_page_headers(&page);
    assert!(
        page.body.contains("Dieser Link ist abgelaufen"),
        "{}",
        page.body
    );
    let states: Vec<LinkState> = links_of(edge, &user)
        .await
        .links
        .iter()
        .map(|l| l.state)
        .collect();
    assert_eq!(states, vec![LinkState::Expired]);
}
