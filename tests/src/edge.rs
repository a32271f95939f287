//! Talking to the running edge over HTTP. Every response goes through
//! [`Answer::check`], which fails the test if the response leaks a secret or
//! a session token, or is not what `/openapi.json` documents.

use std::io::Write;
use std::sync::{Mutex, OnceLock};

use healthlink_shared::{PROBLEM_CONTENT_TYPE, Problem, SessionResponse};
use serde_json::Value;

use crate::env;

/// The OpenAPI description in the repository; a test checks that the edge
/// serves exactly this.
pub const OPENAPI_JSON: &str = include_str!("../../edge/openapi.json");

/// Session tokens minted during this run: none may appear in any other
/// response, and `cargo xtask test` checks the edge's log for them.
static TOKENS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn remember_token(token: &str) {
    TOKENS.lock().expect("tokens lock").push(token.to_owned());
    let path = env().artifacts.join("issued-tokens.txt");
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(file, "{token}");
    }
}

/// A session token the suite did not mint itself (the one a hosted link's
/// page holds): checked like the others — in no log, and in no response
/// but the page that carried it.
pub fn remember_session(token: &str) {
    remember_token(token);
}

/// A hosted link's token (the last segment of its URL): in no line the
/// Worker logs. (It is a URL by design — minted, sent, and redirected back
/// to — so the platform's own request lines show it, as every path.)
pub fn remember_link_token(token: &str) {
    let path = env().artifacts.join("issued-link-tokens.txt");
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(file, "{token}");
    }
}

/// A client that does not follow redirects (tests look at each `303`).
/// One per call: each `#[tokio::test]` has its own runtime, and a pooled
/// connection must not outlive the runtime that opened it.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

/// The edges of a test run: one per aggregator, same keys, same allowed
/// origins and return URLs; each signs its events with its own secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Sandbox,
    Thryve,
    Rook,
}

impl Edge {
    /// The edge's URL. Using a real aggregator's edge starts its emulator,
    /// which the edge will call.
    pub fn base(self) -> &'static str {
        let env = env();
        match self {
            Self::Sandbox => &env.edge_url,
            Self::Thryve => {
                crate::emulators::thryve::thryve();
                &env.thryve_edge_url
            }
            Self::Rook => {
                crate::emulators::rook::rook();
                &env.rook_edge_url
            }
        }
    }

    pub fn url(self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// The edge's name in the run: its hook on the events receiver
    /// (`/hook/{name}`), as `cargo xtask test` configured it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
            Self::Thryve => "thryve",
            Self::Rook => "rook",
        }
    }

    /// `Authorization: Bearer <api key>` requests to the backend API.
    pub fn backend(self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        client()
            .request(method, self.url(path))
            .bearer_auth(&env().api_key)
    }

    /// Widget requests, from the host page's origin.
    pub fn widget(
        self,
        method: reqwest::Method,
        path: &str,
        session: &str,
    ) -> reqwest::RequestBuilder {
        client()
            .request(method, self.url(path))
            .bearer_auth(session)
            .header("origin", env().host_origin())
    }

    /// Mints a session through the backend API (`POST /v1/sessions`).
    pub async fn mint_session(self, body: Value) -> String {
        let answer = Answer::send(
            self.backend(reqwest::Method::POST, "/v1/sessions")
                .json(&body),
        )
        .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        let session: SessionResponse = answer.json();
        remember_token(&session.session_token);
        session.session_token
    }

    /// A session for `user` bound to the host page's origin, all scopes.
    pub async fn session_for(self, user: &str) -> String {
        self.mint_session(serde_json::json!({ "user_id": user }))
            .await
    }
}

pub fn url(path: &str) -> String {
    Edge::Sandbox.url(path)
}

/// A response read whole, with what the checks need.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    /// Sends `request` and checks the answer against the leak rules and the
    /// OpenAPI description of `method path`.
    pub async fn send(request: reqwest::RequestBuilder) -> Self {
        let built = request.build().expect("valid request");
        let method = built.method().as_str().to_owned();
        let path = built.url().path().to_owned();
        let response = client().execute(built).await.expect("the edge answers");
        let answer = Self {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        };
        answer.check(&method, &path);
        answer
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not the expected JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Asserts a problem+json answer with this status and code.
    pub fn expect_problem(&self, status: u16, code: &str) -> Problem {
        assert_eq!(
            self.status, status,
            "expected {status} {code}, got {}",
            self.body
        );
        let content_type = self.header("content-type").unwrap_or_default();
        assert!(
            content_type.starts_with(PROBLEM_CONTENT_TYPE),
            "{content_type}"
        );
        let problem: Problem = self.json();
        assert_eq!(
            (problem.status, problem.code.as_str()),
            (status, code),
            "{}",
            self.body
        );
        problem
    }

    fn check(&self, method: &str, path: &str) {
        let env = env();
        let mut everything = self.body.clone();
        for (name, value) in &self.headers {
            everything.push_str(&format!("\n{name}: {}", value.to_str().unwrap_or_default()));
        }
        assert!(
            !everything.contains(&env.api_key),
            "{method} {path} leaked the API key"
        );
        assert!(
            !everything.contains(&env.signing_key),
            "{method} {path} leaked the signing key"
        );
        for (name, secret) in &env.aggregator_secrets {
            assert!(
                !everything.contains(secret.as_str()),
                "{method} {path} leaked {name}"
            );
        }
        for end_user in crate::emulators::issued_end_users() {
            assert!(
                !everything.contains(end_user.as_str()),
                "{method} {path} leaked a Thryve endUserId"
            );
        }
        if path != "/v1/sessions" && path != "/demo/session" {
            for token in TOKENS.lock().expect("tokens lock").iter() {
                assert!(
                    !everything.contains(token.as_str()),
                    "{method} {path} leaked a session token"
                );
            }
        }
        check_documented(method, path, self);
    }
}

/// The OpenAPI path template matching a concrete path, segment by segment.
fn template_of<'a>(spec: &'a Value, path: &str) -> Option<&'a str> {
    let segments: Vec<&str> = path.split('/').collect();
    spec["paths"]
        .as_object()?
        .keys()
        .map(String::as_str)
        .find(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(part, segment)| part.starts_with('{') || part == segment)
        })
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => reference
            .trim_start_matches("#/")
            .split('/')
            .fold(spec, |node, key| &node[key]),
        None => schema,
    }
}

/// Fails unless the status is documented for the operation and a JSON body
/// has every property the documented schema requires.
fn check_documented(method: &str, path: &str, answer: &Answer) {
    static SPEC: OnceLock<Value> = OnceLock::new();
    let spec = SPEC.get_or_init(|| serde_json::from_str(OPENAPI_JSON).expect("spec is JSON"));
    let Some(template) = template_of(spec, path) else {
        // Unknown paths must be a documented-shape problem: 404.
        assert_eq!(answer.status, 404, "{method} {path} is not in the spec");
        return;
    };
    let operation = &spec["paths"][template][method.to_lowercase()];
    if !operation.is_object() {
        assert!(
            matches!(answer.status, 403 | 204 | 405) || method == "OPTIONS",
            "{method} {template}: undocumented method answered {}",
            answer.status
        );
        return;
    }
    let response = resolve(spec, &operation["responses"][answer.status.to_string()]);
    assert!(
        response.is_object(),
        "{method} {template} answered {} which the spec does not document: {}",
        answer.status,
        answer.body
    );
    let content_type = answer.header("content-type").unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or_default().trim();
    if let Some(schema) = response["content"][media].get("schema") {
        if media.ends_with("json") {
            let body: Value = serde_json::from_str(&answer.body).expect("JSON body");
            let schema = resolve(spec, schema);
            for field in schema["required"].as_array().into_iter().flatten() {
                let field = field.as_str().unwrap();
                assert!(
                    body.get(field).is_some(),
                    "{method} {template} {}: body lacks required `{field}`: {}",
                    answer.status,
                    answer.body
                );
            }
        }
    } else if !(matches!(answer.status, 204 | 303)
        || answer.status == 202 && answer.body.is_empty())
    {
        panic!(
            "{method} {template} {}: media type {media} is not documented",
            answer.status
        );
    }
}

/// Mints a session on the sandbox edge.
pub async fn mint_session(body: Value) -> String {
    Edge::Sandbox.mint_session(body).await
}

/// A session for `user` on the sandbox edge.
pub async fn session_for(user: &str) -> String {
    Edge::Sandbox.session_for(user).await
}

/// Backend requests to the sandbox edge.
pub fn backend(method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    Edge::Sandbox.backend(method, path)
}

/// Widget requests to the sandbox edge.
pub fn widget(method: reqwest::Method, path: &str, session: &str) -> reqwest::RequestBuilder {
    Edge::Sandbox.widget(method, path, session)
}
