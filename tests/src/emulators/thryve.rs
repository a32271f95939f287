//! Thryve on loopback. API host paths live under `/api`, the service host's
//! direct pages under `/service`, so a mixed-up base URL is caught too.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use super::server::{Incoming, Reply, serve};
use super::{Fault, basic, is_absolute_http_url, random_token, remember_issued};
use crate::env;

/// Data source ids the emulator knows (Thryve documents more).
const DATA_SOURCES: &[u32] = &[1, 2, 3, 5, 8, 11, 18, 22];

/// How the emulated Thryve treats one of our users.
#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    /// The user presses "cancel" on the provider's consent page.
    pub deny_consent: bool,
    /// Thryve's connection webhook does not come (yet): the edge has only
    /// the browser's word. By default it is posted, as Thryve does, before
    /// the browser is sent back.
    pub withhold_webhook: bool,
    pub revoke: Revoke,
    /// Replaces the answer of every API call (accessToken, connection).
    pub api_fault: Option<Fault>,
    /// Replaces the answer of the revoke page.
    pub revoke_fault: Option<Fault>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Revoke {
    /// Redirects to the result page with `connected=false`.
    #[default]
    Done,
    /// Redirects with `connected=true`: the disconnect failed.
    Fails,
    /// Answers 200 with no result: the revoke runs in the background.
    NoResult,
}

#[derive(Default)]
struct State {
    /// partnerUserID → endUserId.
    end_users: HashMap<String, String>,
    /// connectionSessionToken → endUserId.
    sessions: HashMap<String, String>,
    connected: HashSet<(String, u32)>,
    /// End users the edge asked to delete.
    deleted: HashSet<String>,
    /// By partnerUserID.
    behaviours: HashMap<String, Behaviour>,
}

pub struct Thryve {
    state: Mutex<State>,
    port: u16,
}

/// The emulator, started on first use on the port xtask reserved.
pub fn thryve() -> &'static Thryve {
    static EMULATOR: OnceLock<Arc<Thryve>> = OnceLock::new();
    EMULATOR.get_or_init(|| {
        let port = env().thryve_port;
        let emulator = Arc::new(Thryve {
            state: Mutex::default(),
            port,
        });
        let handler = emulator.clone();
        serve(port, Arc::new(move |request| handler.handle(request)));
        emulator
    })
}

impl Thryve {
    /// The `partnerUserID` the edge derives for `user` (keyed by the edge's
    /// signing key, which the suite knows).
    pub fn partner_id(user: &str) -> String {
        let user = healthlink_edge::user_id::UserId::parse(user).expect("valid user id");
        healthlink_edge::aggregator::thryve::partner_user_id(env().signing_key.as_bytes(), &user)
    }

    pub fn behave(&self, user: &str, behaviour: Behaviour) {
        self.lock()
            .behaviours
            .insert(Self::partner_id(user), behaviour);
    }

    /// The `endUserId` issued for `user`, once the edge asked for one.
    pub fn end_user_id(&self, user: &str) -> Option<String> {
        self.lock().end_users.get(&Self::partner_id(user)).cloned()
    }

    pub fn is_connected(&self, user: &str, data_source: u32) -> bool {
        let Some(end_user) = self.end_user_id(user) else {
            return false;
        };
        self.lock().connected.contains(&(end_user, data_source))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("emulator state")
    }

    fn behaviour_of_end_user(&self, end_user: &str) -> Behaviour {
        let state = self.lock();
        state
            .end_users
            .iter()
            .find(|(_, issued)| *issued == end_user)
            .and_then(|(partner, _)| state.behaviours.get(partner).cloned())
            .unwrap_or_default()
    }

    fn handle(&self, request: &Incoming) -> Reply {
        match (request.method.as_str(), request.path.as_str()) {
            ("POST", "/api/v5/accessToken") => self.api(request, |this| this.access_token(request)),
            ("POST", "/api/widget/v6/connection") => {
                self.api(request, |this| this.connection(request))
            }
            ("DELETE", "/api/v5/userInformation") => {
                self.api(request, |this| this.delete_user(request))
            }
            ("GET", "/service/dataSourceDirectConnection.html") => self.direct_connect(request),
            ("GET", "/service/dataSourceDirectRevoke.html") => self.direct_revoke(request),
            ("GET", "/service/dataSourceDirectConnectionResult.html") => self.result_page(request),
            (method, path) => Reply::violation(format!("Thryve has no {method} {path}")),
        }
    }

    /// Both Basic headers, exactly, on every API call.
    fn api(&self, request: &Incoming, call: impl FnOnce(&Self) -> Reply) -> Reply {
        let env = env();
        let expected = [
            (
                "authorization",
                basic(env.secret("THRYVE_USERNAME"), env.secret("THRYVE_PASSWORD")),
            ),
            (
                "appauthorization",
                basic(
                    env.secret("THRYVE_AUTH_ID"),
                    env.secret("THRYVE_AUTH_SECRET"),
                ),
            ),
        ];
        for (name, value) in expected {
            if request.header(name) != Some(value.as_str()) {
                return Reply::violation(format!(
                    "{} without the right {name} header",
                    request.path
                ));
            }
        }
        call(self)
    }

    fn access_token(&self, request: &Incoming) -> Reply {
        if request.media_type() != Some("application/x-www-form-urlencoded") {
            return Reply::violation("accessToken takes a form body".into());
        }
        let fields: Vec<(String, String)> = url::form_urlencoded::parse(request.body.as_bytes())
            .into_owned()
            .collect();
        let [(name, partner)] = fields.as_slice() else {
            return Reply::violation(format!("accessToken takes one field, got {fields:?}"));
        };
        if name != "partnerUserID" || !(32..=80).contains(&partner.len()) {
            return Reply::violation(format!(
                "accessToken needs a 32–80 character partnerUserID, got {name}={partner}"
            ));
        }
        let behaviour = self
            .lock()
            .behaviours
            .get(partner)
            .cloned()
            .unwrap_or_default();
        if let Some(fault) = behaviour.api_fault {
            return fault.reply();
        }
        let mut state = self.lock();
        let end_user = state
            .end_users
            .entry(partner.clone())
            .or_insert_with(|| {
                let issued = format!("eu{}", random_token(12));
                super::remember_end_user(&issued);
                issued
            })
            .clone();
        Reply::text(200, &end_user)
    }

    /// `DELETE /v5/userInformation`: a form body with the end user's
    /// `authenticationToken` and an ISO 8601 `deletionDate`; 204, and the
    /// end user is gone (with its connections).
    fn delete_user(&self, request: &Incoming) -> Reply {
        if request.media_type() != Some("application/x-www-form-urlencoded") {
            return Reply::violation("userInformation deletion takes a form body".into());
        }
        let fields: Vec<(String, String)> = url::form_urlencoded::parse(request.body.as_bytes())
            .into_owned()
            .collect();
        let field = |wanted: &str| {
            fields
                .iter()
                .find(|(name, _)| name == wanted)
                .map(|(_, value)| value.clone())
        };
        if fields
            .iter()
            .any(|(name, _)| name != "authenticationToken" && name != "deletionDate")
        {
            return Reply::violation(format!("unknown deletion fields in {fields:?}"));
        }
        let Some(token) = field("authenticationToken") else {
            return Reply::violation("a deletion needs authenticationToken".into());
        };
        if let Some(date) = field("deletionDate")
            && healthlink_edge::time::unix_ms_from_rfc3339(&date).is_none()
        {
            return Reply::violation(format!("deletionDate is not ISO 8601: {date}"));
        }
        let mut state = self.lock();
        state.end_users.retain(|_, end_user| *end_user != token);
        state.connected.retain(|(end_user, _)| *end_user != token);
        state.deleted.insert(token);
        Reply::text(204, "")
    }

    /// Whether the edge asked Thryve to delete this end user.
    pub fn was_deleted(&self, end_user: &str) -> bool {
        self.lock().deleted.contains(end_user)
    }

    fn connection(&self, request: &Incoming) -> Reply {
        if request.media_type() != Some("application/json") {
            return Reply::violation("widget/v6/connection takes JSON".into());
        }
        let Ok(serde_json::Value::Object(body)) = serde_json::from_str(&request.body) else {
            return Reply::violation(format!(
                "widget/v6/connection body is not an object: {}",
                request.body
            ));
        };
        if let Some(key) = body
            .keys()
            .find(|key| !["endUserId", "locale"].contains(&key.as_str()))
        {
            return Reply::violation(format!("widget/v6/connection has no field {key}"));
        }
        if let Some(locale) = body.get("locale") {
            let valid = locale
                .as_str()
                .is_some_and(|l| l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()));
            if !valid {
                return Reply::violation(format!("locale must be ISO 639-1, got {locale}"));
            }
        }
        let Some(end_user) = body.get("endUserId").and_then(|v| v.as_str()) else {
            return Reply::violation("widget/v6/connection needs endUserId".into());
        };
        if !self
            .lock()
            .end_users
            .values()
            .any(|known| known == end_user)
        {
            return Reply::text(400, "{\"message\":\"Unknown endUserId\"}");
        }
        if let Some(fault) = self.behaviour_of_end_user(end_user).api_fault {
            return fault.reply();
        }
        let token = random_token(16);
        remember_issued(&token);
        self.lock()
            .sessions
            .insert(token.clone(), end_user.to_owned());
        let lang = body.get("locale").and_then(|v| v.as_str()).unwrap_or("en");
        Reply::json(
            200,
            serde_json::json!({
                "type": "enduser.widget.connection",
                "data": {"url": format!("https://connect.thryve.de/?connectionSessionToken={token}&platform=web&lang={lang}")}
            }),
        )
    }

    /// The common checks of the direct pages: a known token, a known data
    /// source, and no credentials (a browser never has them).
    fn page(&self, request: &Incoming, allowed: &[&str]) -> Result<(String, u32), Reply> {
        for (name, _) in &request.query {
            if !allowed.contains(&name.as_str()) {
                return Err(Reply::violation(format!(
                    "{} has no parameter {name}",
                    request.path
                )));
            }
        }
        if request.header("authorization").is_some() || request.header("appauthorization").is_some()
        {
            return Err(Reply::violation(format!(
                "credentials sent to the browser page {}",
                request.path
            )));
        }
        let token = request.query_value("token").unwrap_or_default();
        let Some(end_user) = self.lock().sessions.get(token).cloned() else {
            return Err(Reply::violation(format!(
                "{} with an unknown token",
                request.path
            )));
        };
        let data_source = request
            .query_value("dataSource")
            .and_then(|value| value.parse::<u32>().ok())
            .filter(|id| DATA_SOURCES.contains(id));
        let Some(data_source) = data_source else {
            return Err(Reply::violation(format!(
                "{} with an unknown dataSource",
                request.path
            )));
        };
        Ok((end_user, data_source))
    }

    fn result_url(
        &self,
        token: &str,
        data_source: u32,
        connected: bool,
        redirect: Option<&str>,
    ) -> String {
        let mut url = url::Url::parse(&format!(
            "http://127.0.0.1:{}/service/dataSourceDirectConnectionResult.html",
            self.port
        ))
        .expect("url");
        url.query_pairs_mut()
            .append_pair("token", token)
            .append_pair("dataSource", &data_source.to_string())
            .append_pair("connected", &connected.to_string());
        if let Some(redirect) = redirect {
            url.query_pairs_mut().append_pair("redirect_uri", redirect);
        }
        url.into()
    }

    fn direct_connect(&self, request: &Incoming) -> Reply {
        let (end_user, data_source) =
            match self.page(request, &["token", "dataSource", "redirect_uri"]) {
                Ok(found) => found,
                Err(reply) => return reply,
            };
        let Some(redirect) = request
            .query_value("redirect_uri")
            .filter(|uri| is_absolute_http_url(uri))
        else {
            return Reply::violation(
                "the edge's connect URL needs an absolute redirect_uri".into(),
            );
        };
        let behaviour = self.behaviour_of_end_user(&end_user);
        let connected = !behaviour.deny_consent;
        if connected {
            self.lock()
                .connected
                .insert((end_user.clone(), data_source));
            if !behaviour.withhold_webhook {
                post_webhook("notification.source.connect", &end_user, data_source);
            }
        }
        let token = request.query_value("token").unwrap_or_default();
        Reply::redirect(self.result_url(token, data_source, connected, Some(redirect)))
    }

    fn direct_revoke(&self, request: &Incoming) -> Reply {
        let (end_user, data_source) =
            match self.page(request, &["token", "dataSource", "direct", "redirect_uri"]) {
                Ok(found) => found,
                Err(reply) => return reply,
            };
        if request.query_value("direct") != Some("true") {
            return Reply::violation("a background revoke needs direct=true".into());
        }
        let behaviour = self.behaviour_of_end_user(&end_user);
        if let Some(fault) = behaviour.revoke_fault {
            return fault.reply();
        }
        let token = request.query_value("token").unwrap_or_default();
        let redirect = request.query_value("redirect_uri");
        match behaviour.revoke {
            Revoke::Done => {
                self.lock().connected.remove(&(end_user, data_source));
                Reply::redirect(self.result_url(token, data_source, false, redirect))
            }
            Revoke::Fails => Reply::redirect(self.result_url(token, data_source, true, redirect)),
            Revoke::NoResult => Reply::html("<html>Your request is being processed.</html>"),
        }
    }

    /// Thryve's result page forwards to the redirect_uri with the result
    /// appended, as documented.
    fn result_page(&self, request: &Incoming) -> Reply {
        let data_source = request.query_value("dataSource").unwrap_or_default();
        let connected = request.query_value("connected").unwrap_or_default();
        match request.query_value("redirect_uri") {
            Some(redirect) => {
                let separator = if redirect.contains('?') { '&' } else { '?' };
                Reply::redirect(format!(
                    "{redirect}{separator}dataSource={data_source}&connected={connected}"
                ))
            }
            None => Reply::html("<html>Done. You can close this window.</html>"),
        }
    }
}

/// Posts a connection notification to the Thryve edge's webhook, in the
/// documented shape (`data.dataSourceId`, `data.timestamp`), with the
/// configured secret, and waits for the answer (Thryve wants it within 2 s).
pub fn post_webhook(kind: &str, end_user: &str, data_source: u32) {
    use std::io::{Read, Write};
    let body = serde_json::json!({
        "type": kind,
        "endUserId": end_user,
        "timestampType": "unix",
        "data": {
            "dataSourceId": data_source,
            "timestamp": std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .as_millis() as u64,
        },
    })
    .to_string();
    let edge = url::Url::parse(&env().thryve_edge_url).expect("edge URL");
    let authority = format!(
        "{}:{}",
        edge.host_str().expect("host"),
        edge.port_or_known_default().expect("port")
    );
    let mut stream = std::net::TcpStream::connect(&authority).expect("the Thryve edge listens");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(2)))
        .expect("timeout");
    write!(
        stream,
        "POST /v1/webhooks/thryve HTTP/1.1\r\nHost: {authority}\r\n\
         Authorization: Bearer {secret}\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n{body}",
        secret = env().secret("THRYVE_WEBHOOK_SECRET"),
        length = body.len(),
    )
    .expect("webhook sent");
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).expect("webhook answered");
    let status = String::from_utf8_lossy(&head[9..12]).into_owned();
    assert!(
        status == "204",
        "the edge answered the connect webhook with {status}"
    );
}
