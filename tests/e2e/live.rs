//! Live updates over the wire: a ticket opens a WebSocket to the user's
//! Durable Object through the edge, and every change recorded for the user
//! — by the backend, the aggregator's webhook, another widget, an erasure —
//! reaches it within a second. Tickets are single-use, short-lived, bound
//! to their user and page; sockets are capped per user.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use healthlink_tests::edge::{Answer, Edge};
use healthlink_tests::{env, unique};
use reqwest::Method;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::flow_support::{redirect_body, walk_connect};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Within a second on loopback, as the widget promises.
const PROMPT: Duration = Duration::from_secs(1);

async fn ticket(edge: Edge, session: &str) -> String {
    let answer = Answer::send(edge.widget(Method::POST, "/v1/live/ticket", session)).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let body: serde_json::Value = answer.json();
    body["ticket"].as_str().expect("a ticket").to_owned()
}

/// Opens the socket as a page on `origin` would.
async fn open(edge: Edge, ticket: &str, origin: &str) -> Result<Socket, WsError> {
    let url = edge
        .url(&format!("/v1/live?ticket={ticket}"))
        .replacen("http://", "ws://", 1);
    let mut request = url.into_client_request().expect("a socket request");
    request
        .headers_mut()
        .insert("origin", origin.parse().expect("an origin"));
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

fn refused_with(result: Result<Socket, WsError>) -> u16 {
    match result {
        Err(WsError::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("refused without an HTTP answer: {other}"),
        Ok(_) => panic!("the socket opened"),
    }
}

/// The next text message, within [`PROMPT`].
async fn next_text(socket: &mut Socket) -> String {
    loop {
        match tokio::time::timeout(PROMPT, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return text.to_string(),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            other => panic!("no message within {PROMPT:?}: {other:?}"),
        }
    }
}

async fn closed_with(socket: &mut Socket) -> CloseCode {
    loop {
        match tokio::time::timeout(PROMPT * 5, socket.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => return frame.code,
            Ok(Some(Ok(_))) => {}
            other => panic!("not closed: {other:?}"),
        }
    }
}

async fn connect_oura(session: &str) {
    let (back, _) = walk_connect(session, "oura", redirect_body("/settings"), true).await;
    assert_eq!(back.status, 303, "{}", back.body);
}

#[tokio::test]
async fn every_change_reaches_every_open_socket_of_the_user_at_once() {
    let edge = Edge::Sandbox;
    let user = unique("live");
    let session = edge.session_for(&user).await;
    let origin = env().host_origin();
    let mut first = open(edge, &ticket(edge, &session).await, &origin)
        .await
        .expect("the first tab's socket");
    let mut second = open(edge, &ticket(edge, &session).await, &origin)
        .await
        .expect("the second tab's socket");
    // Another user's socket hears nothing of it.
    let other_session = edge.session_for(&unique("live-other")).await;
    let mut other = open(edge, &ticket(edge, &other_session).await, &origin)
        .await
        .expect("another user's socket");

    // A widget connects.
    connect_oura(&session).await;
    for socket in [&mut first, &mut second] {
        assert_eq!(next_text(socket).await, r#"{"type":"changed"}"#);
    }
    // The backend disconnects.
    let answer = Answer::send(edge.backend(
        Method::POST,
        &format!("/v1/users/{user}/connections/oura/disconnect"),
    ))
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    for socket in [&mut first, &mut second] {
        assert_eq!(next_text(socket).await, r#"{"type":"changed"}"#);
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(300), other.next())
            .await
            .is_err(),
        "another user's socket heard something"
    );
    // A widget can tell a live connection from a dead one.
    first.send(Message::text("ping")).await.unwrap();
    assert_eq!(next_text(&mut first).await, "pong");
    // An erasure ends every socket: their sessions are over.
    let erased = Answer::send(edge.backend(Method::DELETE, &format!("/v1/users/{user}"))).await;
    assert_eq!(erased.status, 204, "{}", erased.body);
    for socket in [&mut first, &mut second] {
        assert_eq!(closed_with(socket).await, CloseCode::from(4002));
    }
}

#[tokio::test]
async fn a_thryve_webhook_reaches_an_open_socket() {
    let edge = Edge::Thryve;
    let user = unique("live-thryve");
    let session = edge.session_for(&user).await;
    let mut socket = open(edge, &ticket(edge, &session).await, &env().host_origin())
        .await
        .expect("a socket");
    // Thryve's connect webhook arrives before the browser comes back.
    assert_eq!(
        crate::aggregator_support::connect(edge, &session, "polar").await,
        "connected"
    );
    assert_eq!(next_text(&mut socket).await, r#"{"type":"changed"}"#);
}

#[tokio::test]
async fn tickets_are_single_use_short_lived_and_bound_to_their_page() {
    let edge = Edge::Sandbox;
    let session = edge.session_for(&unique("live-tickets")).await;
    let origin = env().host_origin();
    let used = ticket(edge, &session).await;
    let _socket = open(edge, &used, &origin).await.expect("a socket");
    assert_eq!(
        refused_with(open(edge, &used, &origin).await),
        401,
        "reused"
    );
    // From a page the edge does not allow: refused before anything else.
    let fresh = ticket(edge, &session).await;
    assert_eq!(
        refused_with(open(edge, &fresh, "https://evil.example").await),
        403
    );
    // From an allowed page, but not the one it was issued to.
    assert_eq!(
        refused_with(open(edge, &fresh, edge.base()).await),
        401,
        "another page's ticket"
    );
    // Forged, or a session token instead of a ticket.
    assert_eq!(
        refused_with(open(edge, "hlt1.e30.AAAA", &origin).await),
        401
    );
    assert_eq!(refused_with(open(edge, &session, &origin).await), 401);
    // A plain GET is not a socket.
    Answer::send(
        reqwest::Client::new()
            .get(edge.url(&format!("/v1/live?ticket={fresh}")))
            .header("origin", &origin),
    )
    .await
    .expect_problem(400, "invalid_request");
    // Tickets need a session.
    Answer::send(
        reqwest::Client::new()
            .post(edge.url("/v1/live/ticket"))
            .header("origin", &origin),
    )
    .await
    .expect_problem(401, "unauthorized");
}

#[tokio::test]
async fn open_sockets_per_user_are_capped() {
    let edge = Edge::Sandbox;
    let session = edge.session_for(&unique("live-cap")).await;
    let origin = env().host_origin();
    let mut open_ones = Vec::new();
    for _ in 0..healthlink_edge::live::MAX_SOCKETS_PER_USER {
        open_ones.push(
            open(edge, &ticket(edge, &session).await, &origin)
                .await
                .expect("a socket under the cap"),
        );
    }
    let over = open(edge, &ticket(edge, &session).await, &origin).await;
    assert_eq!(refused_with(over), 429);
    // One closes: there is room again.
    let mut closing = open_ones.pop().unwrap();
    closing.close(None).await.unwrap();
    while let Some(Ok(_)) = closing.next().await {}
    let mut reopened = None;
    for _ in 0..20 {
        match open(edge, &ticket(edge, &session).await, &origin).await {
            Ok(socket) => {
                reopened = Some(socket);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    assert!(reopened.is_some(), "no room after a socket closed");
}

#[tokio::test]
async fn a_socket_closes_when_its_session_ends() {
    let edge = Edge::Sandbox;
    let session = edge
        .mint_session(serde_json::json!({"user_id": unique("live-expiry"), "ttl_seconds": 60}))
        .await;
    let mut socket = open(edge, &ticket(edge, &session).await, &env().host_origin())
        .await
        .expect("a socket");
    // Sixty seconds is the shortest session; the socket is closed by then,
    // with the code that tells the widget to ask for a new session.
    let code = loop {
        match tokio::time::timeout(Duration::from_secs(70), socket.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => break frame.code,
            Ok(Some(Ok(_))) => {}
            other => panic!("not closed: {other:?}"),
        }
    };
    assert_eq!(code, CloseCode::from(4001));
}
