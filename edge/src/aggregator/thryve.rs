//! Thryve, to its documented contract (`reference/aggregators.md`).
//!
//! - Every API call carries two Basic headers: `Authorization` (the API
//!   user) and `AppAuthorization` (the app).
//! - Our user becomes a Thryve end user through `POST /v5/accessToken` with
//!   a `partnerUserID` we derive by a keyed hash (unguessable; the raw id
//!   never leaves the edge). The `endUserId` it returns is kept in the user's
//!   Durable Object.
//! - Connect and revoke use the direct pages on the service host with a
//!   `connectionSessionToken` from `POST /widget/v6/connection`.
//! - Thryve keeps no status we can read, so the edge's record — fed by
//!   returns, disconnects and webhooks — is the truth.

use healthlink_shared::{ConnectionStatus, SourceInfo, find_source};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use url::Url;

use super::http::{HttpClient, HttpRequest, basic_auth};
use super::upstream::classify;
use super::{
    Aggregator, AggregatorError, ConnectContext, ConnectOutcome, DisconnectOutcome, UserLinks,
    connected_flag, query_value,
};
use crate::config::ThryveConfig;
use crate::user_id::UserId;
use crate::user_state::StoredStatus;

const NAME: &str = "thryve";
const CREDENTIALS: &str = "THRYVE_USERNAME, THRYVE_PASSWORD, THRYVE_AUTH_ID and THRYVE_AUTH_SECRET";
/// Redirect hops followed after a background revoke before giving up on
/// reading its result (Thryve uses one: the result page).
const MAX_REVOKE_HOPS: usize = 3;

/// Thryve's numeric data source ids. The one table both directions use; a
/// source Thryve supports is added here with the id Thryve documents.
const DATA_SOURCES: &[(&str, u32)] = &[
    ("fitbit", 1),
    ("garmin", 2),
    ("polar", 3),
    ("apple_health", 5),
    ("withings", 8),
    ("strava", 11),
    ("oura", 18),
];

pub fn thryve_id(source: &SourceInfo) -> Option<u32> {
    DATA_SOURCES
        .iter()
        .find(|(id, _)| *id == source.id)
        .map(|(_, number)| *number)
}

pub fn source_for_thryve_id(number: u32) -> Option<&'static SourceInfo> {
    DATA_SOURCES
        .iter()
        .find(|(_, known)| *known == number)
        .and_then(|(id, _)| find_source(id))
}

/// The `partnerUserID` for one of our users: HMAC-SHA256 of the user id
/// under our signing key, hex (64 characters, inside Thryve's 32–80). Stable
/// for a user, unguessable without the key, and not reversible.
pub fn partner_user_id(key: &[u8], user: &UserId) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"healthlink/thryve-partner-user-id\0");
    mac.update(user.as_str().as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Thryve's `locale`: the ISO 639-1 language of the session's locale, if it
/// has a usable one (Thryve defaults to English otherwise).
fn thryve_locale(locale: Option<&str>) -> Option<String> {
    let language = locale?.split(['-', '_']).next()?.to_ascii_lowercase();
    (language.len() == 2 && language.bytes().all(|b| b.is_ascii_lowercase())).then_some(language)
}

pub struct Thryve<'a, H, L> {
    config: &'a ThryveConfig,
    http: &'a H,
    links: &'a L,
    partner_key: &'a [u8],
}

impl<'a, H: HttpClient, L: UserLinks> Thryve<'a, H, L> {
    pub fn new(config: &'a ThryveConfig, http: &'a H, links: &'a L, partner_key: &'a [u8]) -> Self {
        Self {
            config,
            http,
            links,
            partner_key,
        }
    }

    fn authorized(&self, request: HttpRequest) -> HttpRequest {
        request
            .header(
                "authorization",
                basic_auth(&self.config.username, &self.config.password),
            )
            .header(
                "appauthorization",
                basic_auth(&self.config.auth_id, &self.config.auth_secret),
            )
    }

    /// The user's `endUserId`: stored, or created (idempotent at Thryve:
    /// the same partnerUserID always yields the same token) and stored.
    async fn end_user_id(&self, user: &UserId) -> Result<String, AggregatorError> {
        if let Some(stored) = self.links.get(user).await? {
            return Ok(stored);
        }
        let call = "POST /v5/accessToken";
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("partnerUserID", &partner_user_id(self.partner_key, user))
            .finish();
        let request = HttpRequest::post(
            format!("{}/v5/accessToken", self.config.api_base),
            "application/x-www-form-urlencoded",
            body,
        );
        let response = self.http.send(self.authorized(request)).await?;
        if response.status != 200 {
            return Err(classify("Thryve", call, CREDENTIALS, &response));
        }
        let end_user_id = parse_end_user_id(&response.body).ok_or(AggregatorError::Unavailable)?;
        self.links.put(user, &end_user_id).await?;
        Ok(end_user_id)
    }

    /// A fresh `connectionSessionToken` for the user.
    async fn connection_token(
        &self,
        user: &UserId,
        locale: Option<&str>,
    ) -> Result<String, AggregatorError> {
        let end_user_id = self.end_user_id(user).await?;
        let mut body = serde_json::json!({ "endUserId": end_user_id });
        if let Some(locale) = thryve_locale(locale) {
            body["locale"] = locale.into();
        }
        let request = HttpRequest::post(
            format!("{}/widget/v6/connection", self.config.api_base),
            "application/json",
            body.to_string(),
        );
        let response = self.http.send(self.authorized(request)).await?;
        if response.status != 200 {
            return Err(classify(
                "Thryve",
                "POST /widget/v6/connection",
                CREDENTIALS,
                &response,
            ));
        }
        parse_connection_token(&response.body).ok_or(AggregatorError::Unavailable)
    }

    fn direct_url(&self, page: &str, params: &[(&str, &str)]) -> String {
        let mut url = format!("{}/{page}?", self.config.service_base);
        url.push_str(
            &url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish(),
        );
        url
    }
}

impl<H: HttpClient, L: UserLinks> Aggregator for Thryve<'_, H, L> {
    fn name(&self) -> &'static str {
        NAME
    }

    fn offers(&self, source: &SourceInfo) -> bool {
        thryve_id(source).is_some()
    }

    async fn connect_url(&self, context: &ConnectContext<'_>) -> Result<String, AggregatorError> {
        let data_source = thryve_id(context.source)
            .ok_or(AggregatorError::Unavailable)?
            .to_string();
        let token = self.connection_token(context.user, context.locale).await?;
        Ok(self.direct_url(
            "dataSourceDirectConnection.html",
            &[
                ("token", &token),
                ("dataSource", &data_source),
                ("redirect_uri", context.return_to),
            ],
        ))
    }

    async fn connect_outcome(
        &self,
        _user: &UserId,
        source: &'static SourceInfo,
        query: &[(String, String)],
    ) -> Result<ConnectOutcome, AggregatorError> {
        // A result for another data source than the one this state was
        // minted for is not an answer to this flow.
        let expected = thryve_id(source).map(|id| id.to_string());
        if let Some(reported) = query_value(query, "dataSource")
            && Some(reported) != expected.as_deref()
        {
            return Ok(ConnectOutcome::Unknown);
        }
        // Thryve's `connected=true` is unsigned: anyone holding the state
        // could add it. Its connection webhook is what confirms.
        Ok(ConnectOutcome::from_flag(connected_flag(query), false))
    }

    /// A server-side GET of the DirectRevoke page starts the revoke; Thryve
    /// then redirects to its result page with `connected=false` (done) or
    /// `true` (failed). No result in sight: it runs in the background, and
    /// the webhook confirms it.
    async fn disconnect(
        &self,
        user: &UserId,
        source: &'static SourceInfo,
    ) -> Result<DisconnectOutcome, AggregatorError> {
        let data_source = thryve_id(source)
            .ok_or(AggregatorError::Unavailable)?
            .to_string();
        let token = self.connection_token(user, None).await?;
        // No credentials: the page is authorised by the session token alone.
        let mut url = self.direct_url(
            "dataSourceDirectRevoke.html",
            &[
                ("token", &token),
                ("dataSource", &data_source),
                ("direct", "true"),
            ],
        );
        for _ in 0..=MAX_REVOKE_HOPS {
            let response = self.http.send(HttpRequest::get(url.clone())).await?;
            match response.status {
                200..=299 => return Ok(revoke_outcome(&url).unwrap_or(DisconnectOutcome::Pending)),
                300..=399 => {
                    let next = response
                        .location
                        .as_deref()
                        .and_then(|location| Url::parse(&url).ok()?.join(location).ok())
                        .ok_or(AggregatorError::Unavailable)?;
                    if let Some(outcome) = revoke_outcome(next.as_str()) {
                        return Ok(outcome);
                    }
                    url = next.into();
                }
                _ => {
                    return Err(classify(
                        "Thryve",
                        "GET /dataSourceDirectRevoke.html",
                        CREDENTIALS,
                        &response,
                    ));
                }
            }
        }
        Ok(DisconnectOutcome::Pending)
    }

    /// `DELETE /v5/userInformation`: Thryve deletes the end user with its
    /// access tokens and data, from the given date (default: in seven days;
    /// we ask for today). Without a stored `endUserId` Thryve holds nothing
    /// of ours for this user.
    async fn forget_user(&self, user: &UserId, now_ms: i64) -> Result<(), AggregatorError> {
        let Some(end_user_id) = self.links.get(user).await? else {
            return Ok(());
        };
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("authenticationToken", &end_user_id)
            .append_pair("deletionDate", &crate::time::rfc3339_from_unix_ms(now_ms))
            .finish();
        let request =
            HttpRequest::delete_form(format!("{}/v5/userInformation", self.config.api_base), body);
        let response = self.http.send(self.authorized(request)).await?;
        match response.status {
            // 404/410: already gone (an erasure retried after Thryve took it).
            200..=299 | 404 | 410 => Ok(()),
            _ => Err(classify(
                "Thryve",
                "DELETE /v5/userInformation",
                CREDENTIALS,
                &response,
            )),
        }
    }

    async fn statuses(
        &self,
        _user: &UserId,
        _known: &[StoredStatus],
    ) -> Result<Option<Vec<(&'static str, ConnectionStatus)>>, AggregatorError> {
        Ok(None)
    }

    /// Thryve's phone-only sources connect through its SDK in the host's
    /// own app (`HEALTHLINK_PHONE_LINK`); it offers no app of its own.
    async fn phone_pairing(
        &self,
        _pairing: &super::PhonePairing<'_>,
    ) -> Result<Option<String>, AggregatorError> {
        Ok(None)
    }

    /// Thryve reports changes by webhook only; the record is the truth.
    fn has_status_view(&self, _user: &UserId) -> bool {
        false
    }
}

/// On a revoke, `connected=false` means disconnected and `true` failed.
pub fn revoke_outcome(url: &str) -> Option<DisconnectOutcome> {
    let url = Url::parse(url).ok()?;
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    connected_flag(&query).map(|connected| {
        if connected {
            DisconnectOutcome::StillConnected
        } else {
            DisconnectOutcome::Disconnected
        }
    })
}

/// `/v5/accessToken` answers the token as plain text. Anything that does
/// not look like a token is a malformed answer, never stored.
pub fn parse_end_user_id(body: &str) -> Option<String> {
    let token = body.trim().trim_matches('"');
    let plausible = !token.is_empty()
        && token.len() <= 200
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    plausible.then(|| token.to_owned())
}

#[derive(Deserialize)]
struct ConnectionAnswer {
    data: ConnectionData,
}

#[derive(Deserialize)]
struct ConnectionData {
    url: String,
}

/// The `connectionSessionToken` query parameter of the widget URL.
pub fn parse_connection_token(body: &str) -> Option<String> {
    let answer: ConnectionAnswer = serde_json::from_str(body).ok()?;
    let url = Url::parse(&answer.data.url).ok()?;
    let token = url
        .query_pairs()
        .find(|(name, _)| name == "connectionSessionToken")
        .map(|(_, value)| value.into_owned())?;
    (!token.is_empty() && token.len() <= 500).then_some(token)
}

/// A source notification Thryve posts to `/v1/webhooks/thryve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceEvent {
    pub end_user_id: String,
    pub source: &'static SourceInfo,
    pub connected: bool,
    /// When it happened at Thryve (Unix ms), when the event says.
    pub occurred_at_ms: Option<i64>,
}

/// What to do with a webhook body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Webhook {
    Source(SourceEvent),
    /// Valid, but nothing for us (data notifications, sources we do not
    /// show): acknowledged so Thryve does not retry.
    Ignored(&'static str),
}

/// Thryve documents the data source and time under `data`; older payloads
/// carry them at the top level. Both are read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WebhookBody {
    #[serde(rename = "type")]
    kind: String,
    end_user_id: Option<String>,
    data_source_id: Option<u32>,
    timestamp: Option<serde_json::Value>,
    data: Option<WebhookData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WebhookData {
    data_source_id: Option<u32>,
    timestamp: Option<serde_json::Value>,
}

/// A webhook timestamp: Unix seconds or milliseconds, or RFC 3339.
fn event_time_ms(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::Number(number) => {
            let number = number.as_i64()?;
            // Seconds until the year 5138; milliseconds beyond.
            Some(if number < 100_000_000_000 {
                number * 1000
            } else {
                number
            })
        }
        serde_json::Value::String(text) => crate::time::unix_ms_from_rfc3339(text),
        _ => None,
    }
}

/// Parses a webhook body; `Err` says what is wrong with it.
pub fn parse_webhook(body: &str) -> Result<Webhook, String> {
    let body: WebhookBody = serde_json::from_str(body)
        .map_err(|error| format!("The body is not a Thryve notification: {error}."))?;
    let connected = match body.kind.as_str() {
        "notification.source.connect" => true,
        "notification.source.disconnect" => false,
        _ => return Ok(Webhook::Ignored("not a source notification")),
    };
    let end_user_id = body
        .end_user_id
        .as_deref()
        .and_then(parse_end_user_id)
        .ok_or("A source notification needs an endUserId.")?;
    let nested = body.data.as_ref();
    let number = nested
        .and_then(|data| data.data_source_id)
        .or(body.data_source_id)
        .ok_or("A source notification needs a dataSourceId.")?;
    let Some(source) = source_for_thryve_id(number) else {
        return Ok(Webhook::Ignored("a data source this edge does not show"));
    };
    let occurred_at_ms = nested
        .and_then(|data| data.timestamp.as_ref())
        .or(body.timestamp.as_ref())
        .and_then(event_time_ms);
    Ok(Webhook::Source(SourceEvent {
        end_user_id,
        source,
        connected,
        occurred_at_ms,
    }))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::aggregator::http::testing::{Scripted, answer, block_on, redirect};
    use crate::aggregator::http::{HttpResponse, Method, TransportError};

    #[derive(Default)]
    struct Links(RefCell<Option<String>>);

    impl UserLinks for Links {
        async fn get(&self, _user: &UserId) -> Result<Option<String>, AggregatorError> {
            Ok(self.0.borrow().clone())
        }
        async fn put(&self, _user: &UserId, reference: &str) -> Result<(), AggregatorError> {
            *self.0.borrow_mut() = Some(reference.to_owned());
            Ok(())
        }
    }

    fn config() -> ThryveConfig {
        crate::config::tests::test_thryve_config()
    }

    const KEY: &[u8] = b"test-signing-key-0123456789abcdef0123456789";

    fn alice() -> UserId {
        UserId::parse("alice").unwrap()
    }

    fn source(id: &str) -> &'static SourceInfo {
        find_source(id).unwrap()
    }

    fn widget_answer(token: &str) -> Result<HttpResponse, TransportError> {
        answer(
            200,
            &format!(
                r#"{{"type":"enduser.widget.connection","data":{{"url":"https://connect.thryve.de/?connectionSessionToken={token}&platform=web&lang=de"}}}}"#
            ),
        )
    }

    #[test]
    fn the_id_table_maps_both_ways() {
        for (id, number) in DATA_SOURCES {
            let found = source_for_thryve_id(*number).unwrap();
            assert_eq!(found.id, *id);
            assert_eq!(thryve_id(found), Some(*number));
        }
        assert_eq!(thryve_id(source("whoop")), None);
        assert_eq!(source_for_thryve_id(9999), None);
    }

    #[test]
    fn partner_user_ids_are_keyed_stable_and_inside_thryves_limits() {
        let id = partner_user_id(KEY, &alice());
        assert_eq!(id, partner_user_id(KEY, &alice()));
        assert!((32..=80).contains(&id.len()), "{id}");
        assert!(!id.contains("alice"));
        assert_ne!(
            id,
            partner_user_id(b"another-key-0123456789abcdef0123", &alice())
        );
        assert_ne!(id, partner_user_id(KEY, &UserId::parse("bob").unwrap()));
    }

    #[test]
    fn connect_creates_the_end_user_once_and_builds_the_direct_url() {
        let http = Scripted::new(vec![
            answer(200, "end-user-token-1\n"),
            widget_answer("T1"),
            widget_answer("T2"),
        ]);
        let links = Links::default();
        let config = config();
        let thryve = Thryve::new(&config, &http, &links, KEY);
        let alice = alice();
        let context = |locale| ConnectContext {
            user: &alice,
            source: source("garmin"),
            return_to: "https://edge.test/v1/return?state=abc",
            locale,
        };
        let url = block_on(thryve.connect_url(&context(Some("de-CH")))).unwrap();
        assert_eq!(
            url,
            "https://service.thryve.test/dataSourceDirectConnection.html?token=T1&dataSource=2\
             &redirect_uri=https%3A%2F%2Fedge.test%2Fv1%2Freturn%3Fstate%3Dabc"
        );
        assert_eq!(links.0.borrow().as_deref(), Some("end-user-token-1"));
        // The second connect reuses the stored endUserId.
        block_on(thryve.connect_url(&context(None))).unwrap();

        let sent = http.sent();
        assert_eq!(sent.len(), 3);
        let create = &sent[0];
        assert_eq!(create.method, Method::Post);
        assert_eq!(create.url, "https://api.thryve.test/v5/accessToken");
        assert_eq!(
            create.header_value("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(
            create.body.as_deref(),
            Some(format!("partnerUserID={}", partner_user_id(KEY, &alice)).as_str())
        );
        for request in &sent {
            assert_eq!(
                request.header_value("authorization"),
                Some("Basic dXNlcjpwYXNz")
            );
            assert_eq!(
                request.header_value("appauthorization"),
                Some(basic_auth("app", "appsecret").as_str())
            );
        }
        assert_eq!(sent[1].url, "https://api.thryve.test/widget/v6/connection");
        assert_eq!(
            sent[1].header_value("content-type"),
            Some("application/json")
        );
        let body: serde_json::Value = serde_json::from_str(sent[1].body.as_ref().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"endUserId": "end-user-token-1", "locale": "de"})
        );
        let body: serde_json::Value = serde_json::from_str(sent[2].body.as_ref().unwrap()).unwrap();
        assert_eq!(body, serde_json::json!({"endUserId": "end-user-token-1"}));
    }

    #[test]
    fn the_return_is_read_from_the_connected_flag_for_the_right_source() {
        let http = Scripted::default();
        let links = Links::default();
        let config = config();
        let thryve = Thryve::new(&config, &http, &links, KEY);
        let outcome = |pairs: &[(&str, &str)]| {
            let query: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            block_on(thryve.connect_outcome(&alice(), source("oura"), &query)).unwrap()
        };
        assert_eq!(
            outcome(&[("dataSource", "18"), ("connected", "true")]),
            ConnectOutcome::Unconfirmed,
            "the browser's word waits for Thryve's webhook"
        );
        assert_eq!(
            outcome(&[("dataSource", "18"), ("connected", "false")]),
            ConnectOutcome::NotConnected
        );
        assert_eq!(
            outcome(&[("dataSource", "1"), ("connected", "true")]),
            ConnectOutcome::Unknown
        );
        assert_eq!(outcome(&[]), ConnectOutcome::Unknown);
    }

    fn revoke_with(
        answers: Vec<Result<HttpResponse, TransportError>>,
    ) -> (Result<DisconnectOutcome, AggregatorError>, Vec<HttpRequest>) {
        let mut script = vec![widget_answer("T9")];
        script.extend(answers);
        let http = Scripted::new(script);
        let links = Links(RefCell::new(Some("end-user-token-1".into())));
        let config = config();
        let thryve = Thryve::new(&config, &http, &links, KEY);
        let outcome = block_on(thryve.disconnect(&alice(), source("fitbit")));
        (outcome, http.sent())
    }

    #[test]
    fn disconnect_is_a_background_get_of_the_revoke_page() {
        let (outcome, sent) = revoke_with(vec![redirect(
            "/dataSourceDirectConnectionResult.html?token=T9&dataSource=1&connected=false",
        )]);
        assert_eq!(outcome, Ok(DisconnectOutcome::Disconnected));
        let revoke = &sent[1];
        assert_eq!(revoke.method, Method::Get);
        assert_eq!(
            revoke.url,
            "https://service.thryve.test/dataSourceDirectRevoke.html?token=T9&dataSource=1&direct=true"
        );
        assert!(revoke.headers.is_empty(), "no credentials on the page GET");

        let (outcome, _) = revoke_with(vec![redirect(
            "https://service.thryve.test/dataSourceDirectConnectionResult.html?dataSource=1&connected=true",
        )]);
        assert_eq!(outcome, Ok(DisconnectOutcome::StillConnected));

        let (outcome, _) = revoke_with(vec![redirect("/somewhere-else"), answer(200, "<html>")]);
        assert_eq!(outcome, Ok(DisconnectOutcome::Pending));

        let (outcome, _) = revoke_with(vec![answer(502, "")]);
        assert_eq!(outcome, Err(AggregatorError::Unavailable));
        let (outcome, _) = revoke_with(vec![Err(TransportError::Timeout)]);
        assert_eq!(outcome, Err(AggregatorError::Unavailable));
    }

    #[test]
    fn malformed_or_refused_answers_are_mapped() {
        let links = Links::default();
        let config = config();
        let connect = |answers| {
            let http = Scripted::new(answers);
            let thryve = Thryve::new(&config, &http, &links, KEY);
            let alice = alice();
            block_on(thryve.connect_url(&ConnectContext {
                user: &alice,
                source: source("fitbit"),
                return_to: "https://edge.test/v1/return?state=abc",
                locale: None,
            }))
        };
        assert!(matches!(
            connect(vec![answer(401, "")]),
            Err(AggregatorError::Misconfigured { .. })
        ));
        assert_eq!(
            connect(vec![answer(200, "<html>oops</html>")]),
            Err(AggregatorError::Unavailable)
        );
        assert_eq!(
            links.0.borrow().as_deref(),
            None,
            "nothing malformed is stored"
        );
        assert_eq!(
            connect(vec![answer(200, "tok"), answer(200, r#"{"data":{}}"#)]),
            Err(AggregatorError::Unavailable)
        );
        assert_eq!(
            // The end user from the previous call is stored: one call only.
            connect(vec![Ok(HttpResponse {
                status: 429,
                retry_after: Some("30".into()),
                ..Default::default()
            })]),
            Err(AggregatorError::RateLimited {
                retry_after_seconds: 30
            })
        );
    }

    #[test]
    fn webhooks_are_parsed_strictly_and_unknown_kinds_ignored() {
        assert_eq!(
            parse_webhook(
                r#"{"type":"notification.source.connect","endUserId":"eu-1","endUserAlias":"x","dataSourceId":18,"timestamp":"2026-11-21T10:00:00Z"}"#
            ),
            Ok(Webhook::Source(SourceEvent {
                end_user_id: "eu-1".into(),
                source: source("oura"),
                connected: true,
                occurred_at_ms: crate::time::unix_ms_from_rfc3339("2026-11-21T10:00:00Z"),
            }))
        );
        // The documented shape: source and time under `data`, Unix time.
        assert_eq!(
            parse_webhook(
                r#"{"type":"notification.source.connect","endUserId":"eu-1","timestampType":"unix","data":{"dataSourceId":18,"timestamp":1800000000}}"#
            ),
            Ok(Webhook::Source(SourceEvent {
                end_user_id: "eu-1".into(),
                source: source("oura"),
                connected: true,
                occurred_at_ms: Some(1_800_000_000_000),
            }))
        );
        assert!(matches!(
            parse_webhook(
                r#"{"type":"notification.source.disconnect","endUserId":"eu-1","dataSourceId":2}"#
            ),
            Ok(Webhook::Source(SourceEvent {
                connected: false,
                ..
            }))
        ));
        assert!(matches!(
            parse_webhook(r#"{"type":"notification.data.daily.createupdate","endUserId":"eu-1"}"#),
            Ok(Webhook::Ignored(_))
        ));
        assert!(matches!(
            parse_webhook(
                r#"{"type":"notification.source.connect","endUserId":"eu-1","dataSourceId":4242}"#
            ),
            Ok(Webhook::Ignored(_))
        ));
        for bad in [
            "",
            "[]",
            r#"{"type":"notification.source.connect","dataSourceId":1}"#,
            r#"{"type":"notification.source.connect","endUserId":"eu 1","dataSourceId":1}"#,
            r#"{"type":"notification.source.connect","endUserId":"eu-1"}"#,
            r#"{"type":"notification.source.connect","endUserId":"eu-1","dataSourceId":"1"}"#,
        ] {
            assert!(parse_webhook(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn forgetting_a_user_asks_thryve_to_delete_the_end_user_today() {
        let http = Scripted::new(vec![answer(204, "")]);
        let links = Links(RefCell::new(Some("end-user-token-1".into())));
        let config = config();
        let thryve = Thryve::new(&config, &http, &links, KEY);
        assert_eq!(
            block_on(thryve.forget_user(&alice(), 1_800_000_000_000)),
            Ok(())
        );
        let sent = http.sent();
        assert_eq!(sent[0].method, Method::Delete);
        assert_eq!(sent[0].url, "https://api.thryve.test/v5/userInformation");
        assert_eq!(
            sent[0].body.as_deref(),
            Some("authenticationToken=end-user-token-1&deletionDate=2027-01-15T08%3A00%3A00.000Z")
        );
        assert!(sent[0].header_value("appauthorization").is_some());
        // No end user: nothing to delete, nothing asked.
        let http = Scripted::new(vec![]);
        let links = Links::default();
        let thryve = Thryve::new(&config, &http, &links, KEY);
        assert_eq!(block_on(thryve.forget_user(&alice(), 0)), Ok(()));
        assert!(http.sent().is_empty());
        // Refused credentials are the operator's problem.
        let http = Scripted::new(vec![answer(401, "")]);
        let links = Links(RefCell::new(Some("end-user-token-1".into())));
        let thryve = Thryve::new(&config, &http, &links, KEY);
        assert!(matches!(
            block_on(thryve.forget_user(&alice(), 0)),
            Err(AggregatorError::Misconfigured { .. })
        ));
    }
}
