//! ROOK on loopback: the API under `/api`, plus a stand-in for the
//! provider's consent page the authorization URL leads to.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use super::server::{Incoming, Reply, serve};
use super::{Fault, basic, is_absolute_http_url};
use crate::env;

/// Sources connected in a browser, with ROOK's exact spellings.
const OAUTH_SOURCES: &[&str] = &[
    "Garmin", "Oura", "Polar", "Fitbit", "Withings", "Whoop", "Dexcom",
];
/// What `revoke_auth` accepts beyond those.
const MOBILE_SOURCES: &[&str] = &["Apple Health", "Health Connect", "Android"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Call {
    Authorizer,
    Authorized,
    Revoke,
    /// `POST /api/v1/extraction_app/binding/`: pairing ROOK's Extraction App.
    Binding,
}

/// How the emulated ROOK treats one user.
#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    /// The user declines on the provider's page.
    pub deny_consent: bool,
    /// Replaces the answer of these calls.
    pub faults: HashMap<Call, Fault>,
    /// Added before every normal answer (a far-away or busy aggregator).
    pub latency: Option<std::time::Duration>,
}

impl Behaviour {
    /// Every `call` answered with `fault`; everything else normal.
    pub fn failing(call: Call, fault: Fault) -> Self {
        Self {
            faults: HashMap::from([(call, fault)]),
            ..Self::default()
        }
    }
}

#[derive(Default)]
struct State {
    authorized: HashSet<(String, String)>,
    behaviours: HashMap<String, Behaviour>,
    calls: HashMap<(String, Call), usize>,
    /// Universal links handed out, with the user each one pairs.
    bindings: HashMap<String, String>,
}

pub struct Rook {
    state: Mutex<State>,
    port: u16,
}

pub fn rook() -> &'static Rook {
    static EMULATOR: OnceLock<Arc<Rook>> = OnceLock::new();
    EMULATOR.get_or_init(|| {
        let port = env().rook_port;
        let emulator = Arc::new(Rook {
            state: Mutex::default(),
            port,
        });
        let handler = emulator.clone();
        serve(port, Arc::new(move |request| handler.handle(request)));
        emulator
    })
}

impl Rook {
    pub fn behave(&self, user: &str, behaviour: Behaviour) {
        self.lock().behaviours.insert(user.to_owned(), behaviour);
    }

    pub fn is_authorized(&self, user: &str, data_source: &str) -> bool {
        self.lock()
            .authorized
            .contains(&(user.to_owned(), data_source.to_owned()))
    }

    /// Changes a grant behind the edge's back (the user acted in ROOK's
    /// app, or the provider revoked it).
    pub fn set_authorized(&self, user: &str, data_source: &str, authorized: bool) {
        let key = (user.to_owned(), data_source.to_owned());
        let mut state = self.lock();
        if authorized {
            state.authorized.insert(key);
        } else {
            state.authorized.remove(&key);
        }
    }

    /// How many times the edge made `call` for `user`.
    pub fn calls(&self, user: &str, call: Call) -> usize {
        self.lock()
            .calls
            .get(&(user.to_owned(), call))
            .copied()
            .unwrap_or(0)
    }

    /// The user a universal link from the binding call pairs, if it is one.
    pub fn bound_user(&self, universal_link: &str) -> Option<String> {
        self.lock().bindings.get(universal_link).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("emulator state")
    }

    fn handle(&self, request: &Incoming) -> Reply {
        if request.path == "/provider/authorize" {
            return self.consent(request);
        }
        let env = env();
        let expected = basic(
            env.secret("ROOK_CLIENT_UUID"),
            env.secret("ROOK_SECRET_KEY"),
        );
        if request.header("authorization") != Some(expected.as_str()) {
            return Reply::violation(format!("{} without the right Basic auth", request.path));
        }
        let segments: Vec<&str> = request.path.split('/').skip(1).collect();
        let decoded: Vec<String> = segments
            .iter()
            .map(|segment| percent_decode(segment))
            .collect();
        let decoded: Vec<&str> = decoded.iter().map(String::as_str).collect();
        match (request.method.as_str(), decoded.as_slice()) {
            (
                "GET",
                [
                    "api",
                    "v1",
                    "user_id",
                    user,
                    "data_source",
                    source,
                    "authorizer",
                ],
            ) => self.call(user, Call::Authorizer, || {
                self.authorizer(request, user, source)
            }),
            ("GET", ["api", "v2", "user_id", user, "data_sources", "authorized"]) => {
                if !request.query.is_empty() {
                    return Reply::violation("the authorized list takes no query".into());
                }
                self.call(user, Call::Authorized, || self.authorized_list(user))
            }
            ("POST", ["api", "v1", "user_id", user, "data_sources", "revoke_auth"]) => {
                self.call(user, Call::Revoke, || self.revoke(request, user))
            }
            ("POST", ["api", "v1", "extraction_app", "binding", ""]) => self.binding(request),
            (method, _) => Reply::violation(format!("ROOK has no {method} {}", request.path)),
        }
    }

    fn call(&self, user: &str, call: Call, normal: impl FnOnce() -> Reply) -> Reply {
        if user.is_empty() || user.len() > 50 {
            return Reply::violation(format!("user_id must be 1–50 characters: {user:?}"));
        }
        let (fault, latency) = {
            let mut state = self.lock();
            *state.calls.entry((user.to_owned(), call)).or_default() += 1;
            let behaviour = state.behaviours.get(user);
            (
                behaviour.and_then(|behaviour| behaviour.faults.get(&call).cloned()),
                behaviour.and_then(|behaviour| behaviour.latency),
            )
        };
        match (fault, latency) {
            (Some(fault), _) => fault.reply(),
            (None, Some(latency)) => Reply::Slow(latency, Box::new(normal())),
            (None, None) => normal(),
        }
    }

    fn authorizer(&self, request: &Incoming, user: &str, source: &str) -> Reply {
        if !OAUTH_SOURCES.contains(&source) {
            return Reply::violation(format!("the authorizer has no data source {source:?}"));
        }
        if let Some((name, _)) = request
            .query
            .iter()
            .find(|(name, _)| name != "redirect_url")
        {
            return Reply::violation(format!("the authorizer has no parameter {name}"));
        }
        let redirect = request.query_value("redirect_url");
        if redirect.is_some_and(|url| !is_absolute_http_url(url)) {
            return Reply::violation("redirect_url must be an absolute URL".into());
        }
        if self.is_authorized(user, source) {
            return Reply::json(
                200,
                serde_json::json!({"data_source": source, "authorized": true}),
            );
        }
        let mut url = url::Url::parse(&format!(
            "http://127.0.0.1:{}/provider/authorize",
            self.port
        ))
        .expect("url");
        url.query_pairs_mut()
            .append_pair("user_id", user)
            .append_pair("data_source", source);
        if let Some(redirect) = redirect {
            url.query_pairs_mut().append_pair("redirect_url", redirect);
        }
        Reply::json(
            200,
            serde_json::json!({
                "data_source": source,
                "authorized": false,
                "authorization_url": url.as_str(),
            }),
        )
    }

    /// The provider's consent, decided by the user's behaviour; back to the
    /// `redirect_url` with no result parameters, as ROOK documents.
    fn consent(&self, request: &Incoming) -> Reply {
        let user = request.query_value("user_id").unwrap_or_default();
        let source = request.query_value("data_source").unwrap_or_default();
        let deny = self
            .lock()
            .behaviours
            .get(user)
            .is_some_and(|behaviour| behaviour.deny_consent);
        if !deny {
            self.set_authorized(user, source, true);
        }
        match request.query_value("redirect_url") {
            Some(redirect) => Reply::redirect(redirect.to_owned()),
            None => Reply::html("<html>Authorized.</html>"),
        }
    }

    fn authorized_list(&self, user: &str) -> Reply {
        let sources: Vec<serde_json::Value> = OAUTH_SOURCES
            .iter()
            .chain(&MOBILE_SOURCES[..2])
            .map(|source| {
                serde_json::json!({
                    "data_source": source,
                    "status": self.is_authorized(user, source),
                    "image": format!("https://images.example/{source}.png"),
                })
            })
            .collect();
        Reply::json(200, serde_json::json!({ "data_sources": sources }))
    }

    /// The Extraction App binding, to ROOK's documented body: `user_id`,
    /// `metadata` with `client_name` (and optionally `tyc_url`,
    /// `support_url`, `complete_log_out`) and `salt`; nothing else.
    fn binding(&self, request: &Incoming) -> Reply {
        if request.media_type() != Some("application/json") || !request.query.is_empty() {
            return Reply::violation("the binding takes a JSON body and no query".into());
        }
        let Ok(serde_json::Value::Object(body)) = serde_json::from_str(&request.body) else {
            return Reply::violation(format!("binding body is not an object: {}", request.body));
        };
        let text = |value: Option<&serde_json::Value>| {
            value
                .and_then(|value| value.as_str())
                .filter(|text| !text.is_empty())
                .map(str::to_owned)
        };
        let metadata_ok = body
            .get("metadata")
            .and_then(|metadata| metadata.as_object())
            .is_some_and(|metadata| {
                text(metadata.get("client_name")).is_some()
                    && metadata.iter().all(|(key, value)| match key.as_str() {
                        "client_name" => true,
                        "tyc_url" | "support_url" => {
                            value.as_str().is_some_and(is_absolute_http_url)
                        }
                        "complete_log_out" => value.is_boolean(),
                        _ => false,
                    })
            });
        let (Some(user), Some(_salt)) = (text(body.get("user_id")), text(body.get("salt"))) else {
            return Reply::violation(format!("binding needs user_id and salt: {}", request.body));
        };
        if body.len() != 3 || !metadata_ok {
            return Reply::violation(format!(
                "binding takes exactly user_id, metadata {{client_name, tyc_url?, support_url?, complete_log_out?}} and salt, got {}",
                request.body
            ));
        }
        self.call(&user, Call::Binding, || {
            let mut state = self.lock();
            let link = format!(
                "https://extraction.rook.example/bind/{}",
                state.bindings.len() + 1
            );
            state.bindings.insert(link.clone(), user.clone());
            drop(state);
            Reply::json(
                200,
                serde_json::json!({
                    "qr_code": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
                    "universal_link": link,
                }),
            )
        })
    }

    fn revoke(&self, request: &Incoming, user: &str) -> Reply {
        if request.media_type() != Some("application/json") {
            return Reply::violation("revoke_auth takes JSON".into());
        }
        let Ok(serde_json::Value::Object(body)) = serde_json::from_str(&request.body) else {
            return Reply::violation(format!(
                "revoke_auth body is not an object: {}",
                request.body
            ));
        };
        let source = body
            .get("data_source")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        if body.len() != 1 || !(OAUTH_SOURCES.contains(&source) || MOBILE_SOURCES.contains(&source))
        {
            return Reply::violation(format!(
                "revoke_auth takes exactly {{\"data_source\": <ROOK name>}}, got {}",
                request.body
            ));
        }
        self.set_authorized(user, source, false);
        Reply::json(200, serde_json::json!({"message": "Revocation requested"}))
    }
}

fn percent_decode(segment: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", segment.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}
