//! A native harness for the handlers: the test configuration, the
//! in-memory store, a scripted upstream and a clock the test moves. Each
//! call runs one request through [`Edge::handle`] to completion.

use std::cell::Cell;

use healthlink_shared::{ConnectionStatus, CreateSessionRequest};
use serde::de::DeserializeOwned;

use super::edge::{Edge, Incoming, Runtime};
use super::reply::{FollowUp, Reply};
use crate::aggregator::http::testing::{Scripted, answer, block_on};
use crate::aggregator::http::{HttpResponse, TransportError};
use crate::aggregator::selected::Selected;
use crate::config::tests::{TEST_API_KEY, test_config, test_rook_config, test_thryve_config};
use crate::config::{AggregatorConfig, Config};
use crate::error::ApiError;
use crate::session::{self, SessionClaims};
use crate::signing::Signer;
use crate::user_id::UserId;
use crate::user_store::ThryveLinks;
use crate::user_store::memory::MemoryStore;

pub const EDGE_ORIGIN: &str = "https://edge.example";
/// The host page's origin: the one `test_config` allows.
pub const APP_ORIGIN: &str = "https://app.example.com";
pub use crate::config::tests::TEST_WEBHOOK_SECRET as WEBHOOK_SECRET;
/// 2027-01-15, in Unix milliseconds.
const START_MS: i64 = 1_800_000_000_000;

pub struct TestRuntime {
    pub now_ms: Cell<i64>,
    nonces: Cell<u32>,
}

impl Runtime for TestRuntime {
    fn now_ms(&self) -> i64 {
        self.now_ms.get()
    }

    fn nonce(&self) -> Result<String, ApiError> {
        self.nonces.set(self.nonces.get() + 1);
        Ok(format!("nonce-{}", self.nonces.get()))
    }
}

pub struct Harness {
    pub config: Config,
    pub signer: Signer,
    pub store: MemoryStore,
    pub http: Scripted,
    pub runtime: TestRuntime,
}

impl Harness {
    pub fn sandbox() -> Self {
        Self::with_aggregator(AggregatorConfig::Sandbox)
    }

    pub fn thryve() -> Self {
        Self::with_aggregator(AggregatorConfig::Thryve(test_thryve_config()))
    }

    pub fn rook() -> Self {
        Self::with_aggregator(AggregatorConfig::Rook(test_rook_config()))
    }

    /// A Thryve edge where `user` already has the `endUserId` `end_user`.
    pub fn thryve_linked(user: &str, end_user: &str) -> Self {
        let harness = Self::thryve();
        let links = ThryveLinks::new(&harness.store);
        block_on(crate::aggregator::UserLinks::put(
            &links,
            &harness.user(user),
            end_user,
        ))
        .unwrap();
        harness
    }

    /// This edge with an events endpoint: changes write events.
    pub fn with_events(mut self) -> Self {
        self.config.events = Some(crate::config::EventsConfig {
            url: "https://api.example.com/healthlink-events".into(),
            keys: vec![vec![7; 32]],
            schedule_ms: crate::events::DEFAULT_SCHEDULE_MS.to_vec(),
            timeout_ms: crate::events::MAX_TIMEOUT_MS,
        });
        self.store.events.set(true);
        self
    }

    pub fn with_aggregator(aggregator: AggregatorConfig) -> Self {
        let config = Config {
            aggregator,
            ..test_config()
        };
        Self {
            signer: Signer::new(config.signing_key.as_bytes()),
            config,
            store: MemoryStore::default(),
            http: Scripted::default(),
            runtime: TestRuntime {
                now_ms: Cell::new(START_MS),
                nonces: Cell::new(0),
            },
        }
    }

    /// Runs `action` with the edge as the Worker would build it.
    pub fn with_edge<T>(
        &self,
        action: impl AsyncFnOnce(
            &Edge<
                '_,
                Selected<'_, Scripted, ThryveLinks<'_, MemoryStore>>,
                MemoryStore,
                TestRuntime,
            >,
        ) -> T,
    ) -> T {
        let links = ThryveLinks::new(&self.store);
        let aggregator = Selected::from_config(&self.config, &self.http, &links, EDGE_ORIGIN);
        let edge = Edge {
            config: &self.config,
            signer: &self.signer,
            aggregator: &aggregator,
            store: &self.store,
            runtime: &self.runtime,
            edge_origin: EDGE_ORIGIN,
        };
        block_on(action(&edge))
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        origin: Option<&str>,
        authorization: Option<&str>,
        body: &str,
    ) -> Result<Reply, ApiError> {
        let query = self::query(query);
        let incoming = Incoming {
            method,
            path,
            query: &query,
            authorization,
            origin,
            body,
            upgrade_websocket: false,
            accept_language: None,
        };
        self.with_edge(async |edge| edge.handle(&incoming).await)
    }

    /// A WebSocket upgrade to `/v1/live`, as a browser page opens it.
    pub fn socket(&self, query: &[(&str, &str)], origin: Option<&str>) -> Result<Reply, ApiError> {
        let query = self::query(query);
        let incoming = Incoming {
            method: "GET",
            path: "/v1/live",
            query: &query,
            authorization: None,
            origin,
            body: "",
            upgrade_websocket: true,
            accept_language: None,
        };
        self.with_edge(async |edge| edge.handle(&incoming).await)
    }

    pub fn follow_up(&self, follow_up: FollowUp) {
        self.with_edge(async |edge| edge.follow_up(follow_up).await);
    }

    pub fn get_query(&self, path: &str, query: &[(&str, &str)]) -> Result<Reply, ApiError> {
        self.request("GET", path, query, None, None, "")
    }

    pub fn post(
        &self,
        path: &str,
        origin: Option<&str>,
        authorization: Option<&str>,
        body: &str,
    ) -> Result<Reply, ApiError> {
        self.request("POST", path, &[], origin, authorization, body)
    }

    /// A session token minted as the host's backend would.
    pub fn session_with(&self, request: &str) -> String {
        let request: CreateSessionRequest = serde_json::from_str(request).unwrap();
        let now = self.runtime.now_ms() / 1000;
        session::mint(
            request,
            &self.config,
            &self.config.allowed_origins,
            &self.signer,
            now,
        )
        .unwrap()
        .0
    }

    pub fn verify_session(&self, token: &str) -> SessionClaims {
        let now = self.runtime.now_ms() / 1000;
        session::verify(Some(&format!("Bearer {token}")), &self.signer, now).unwrap()
    }

    fn widget_auth(&self, user: &str) -> String {
        format!(
            "Bearer {}",
            self.session_with(&format!(r#"{{"user_id":"{user}"}}"#))
        )
    }

    /// A widget request of `user`'s, from the host page.
    pub fn widget_get(&self, user: &str, path: &str) -> Result<Reply, ApiError> {
        let auth = self.widget_auth(user);
        self.request("GET", path, &[], Some(APP_ORIGIN), Some(&auth), "")
    }

    pub fn widget_post(&self, user: &str, path: &str, body: &str) -> Result<Reply, ApiError> {
        let auth = self.widget_auth(user);
        self.post(path, Some(APP_ORIGIN), Some(&auth), body)
    }

    fn backend_auth() -> String {
        format!("Bearer {TEST_API_KEY}")
    }

    pub fn backend_get(&self, path: &str) -> Result<Reply, ApiError> {
        self.backend_get_query(path, &[])
    }

    pub fn backend_get_query(&self, path: &str, query: &[(&str, &str)]) -> Result<Reply, ApiError> {
        self.request("GET", path, query, None, Some(&Self::backend_auth()), "")
    }

    pub fn backend_post(&self, path: &str, body: &str) -> Result<Reply, ApiError> {
        self.post(path, None, Some(&Self::backend_auth()), body)
    }

    pub fn backend_delete(&self, path: &str) -> Result<Reply, ApiError> {
        self.request("DELETE", path, &[], None, Some(&Self::backend_auth()), "")
    }

    pub fn user(&self, id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    pub fn seed(&self, user: &str, source: &str, status: ConnectionStatus) {
        self.store.seed(&self.user(user), source, status);
    }

    /// The stored status of one source (`disconnected` when never stored).
    pub fn status(&self, user: &str, source: &str) -> ConnectionStatus {
        self.with_edge(async |edge| {
            crate::user_store::UserStore::statuses(edge.store, &self.user(user))
                .await
                .unwrap()
        })
        .into_iter()
        .find(|row| row.source == source)
        .map_or(ConnectionStatus::Disconnected, |row| row.status)
    }

    pub fn trail(&self, user: &str) -> Vec<(String, String, String)> {
        self.store.trail(&self.user(user))
    }

    /// Queues upstream answers, in order.
    pub fn script(&self, answers: Vec<Result<HttpResponse, TransportError>>) {
        self.http.answers.borrow_mut().extend(answers);
    }

    /// Runs `user`'s alarm now (the stale check; nothing is delivered
    /// natively) and returns the types of the events it wrote.
    pub fn alarm(&self, user: &str) -> Vec<healthlink_shared::EventType> {
        self.store.alarm(
            &self.user(user),
            self.config.aggregator.name(),
            self.config.stale_after_ms,
            self.runtime.now_ms(),
        )
    }

    /// Starts a popup connect of `source` for `user` on the sandbox and
    /// returns the state token the browser would carry back.
    pub fn start_popup_connect(&self, user: &str, source: &str) -> String {
        let reply = self
            .widget_post(
                user,
                &format!("/v1/connections/{source}/connect"),
                r#"{"flow":"popup"}"#,
            )
            .unwrap();
        let url = json::<healthlink_shared::ConnectResponse>(&reply).url;
        assert!(
            url.starts_with(&format!("{EDGE_ORIGIN}/sandbox/connect?")),
            "{url}"
        );
        let consent = url::Url::parse(&url).unwrap();
        let redirect = consent
            .query_pairs()
            .find(|(name, _)| name == "redirect_uri")
            .unwrap()
            .1
            .into_owned();
        url::Url::parse(&redirect)
            .unwrap()
            .query_pairs()
            .find(|(name, _)| name == "state")
            .unwrap()
            .1
            .into_owned()
    }

    pub fn advance_seconds(&self, seconds: i64) {
        self.runtime
            .now_ms
            .set(self.runtime.now_ms.get() + seconds * 1000);
    }
}

pub fn json<T: DeserializeOwned>(reply: &Reply) -> T {
    let body = reply.body.as_ref().expect("a body");
    assert_eq!(body.content_type, super::reply::JSON);
    serde_json::from_str(&body.text).unwrap()
}

/// An audit row as `(action, result, actor)`.
pub fn row(action: &str, result: &str, actor: &str) -> (String, String, String) {
    (action.to_owned(), result.to_owned(), actor.to_owned())
}

pub fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

/// ROOK's `data_sources/authorized` answer, by ROOK source name.
pub fn rook_statuses(sources: &[(&str, bool)]) -> Result<HttpResponse, TransportError> {
    let sources: Vec<_> = sources
        .iter()
        .map(|(name, status)| serde_json::json!({"data_source": name, "status": status}))
        .collect();
    answer(
        200,
        &serde_json::json!({ "data_sources": sources }).to_string(),
    )
}
