//! ROOK, to its documented contract (`reference/aggregators.md`).
//!
//! - Every call carries `Authorization: Basic base64(client_uuid:secret_key)`.
//! - Our user id is ROOK's `user_id` as is: both allow 1–50 URL-safe
//!   characters, and ROOK's webhooks then name our user directly.
//! - Status of all sources in one call (`/api/v2/…/data_sources/authorized`).
//! - Connect through the authorizer's `authorization_url`; ROOK returns with
//!   no result, so the return asks the authorizer again.
//! - Apple Health and Health Connect are authorized in ROOK's phone app,
//!   never in a browser; they can be revoked from here. For hosts without
//!   an app of their own, ROOK's Extraction App is paired with the user by
//!   a universal link (`/api/v1/extraction_app/binding/`), which the widget
//!   shows as a QR code.

use healthlink_shared::{ConnectionStatus, SourceInfo, find_source};
use serde::Deserialize;

use super::http::{HttpClient, HttpRequest, basic_auth, encode_component};
use super::upstream::classify;
use super::{
    Aggregator, AggregatorError, ConnectContext, ConnectOutcome, DisconnectOutcome, PhonePairing,
};
use crate::config::RookConfig;
use crate::user_id::UserId;
use crate::user_state::StoredStatus;

const NAME: &str = "rook";
const CREDENTIALS: &str = "ROOK_CLIENT_UUID and ROOK_SECRET_KEY";

/// Our source ids and ROOK's exact (capitalised) spellings.
const DATA_SOURCES: &[(&str, &str)] = &[
    ("fitbit", "Fitbit"),
    ("garmin", "Garmin"),
    ("oura", "Oura"),
    ("polar", "Polar"),
    ("withings", "Withings"),
    ("whoop", "Whoop"),
    ("dexcom", "Dexcom"),
    ("apple_health", "Apple Health"),
    ("health_connect", "Health Connect"),
];

pub fn rook_name(source: &SourceInfo) -> Option<&'static str> {
    DATA_SOURCES
        .iter()
        .find(|(id, _)| *id == source.id)
        .map(|(_, name)| *name)
}

pub fn source_for_rook_name(name: &str) -> Option<&'static SourceInfo> {
    DATA_SOURCES
        .iter()
        .find(|(_, known)| *known == name)
        .and_then(|(id, _)| find_source(id))
}

pub struct Rook<'a, H> {
    config: &'a RookConfig,
    http: &'a H,
}

#[derive(Debug, Deserialize)]
struct AuthorizerAnswer {
    authorized: bool,
    authorization_url: Option<String>,
}

/// The Extraction App binding: ROOK answers with a QR code image and the
/// universal link it encodes. Only the link is read; the edge draws its own
/// QR code of it (as an SVG path the widget can show under a strict CSP).
#[derive(Debug, Deserialize)]
struct BindingAnswer {
    universal_link: String,
}

#[derive(Debug, Deserialize)]
struct AuthorizedAnswer {
    data_sources: Vec<AuthorizedSource>,
}

#[derive(Debug, Deserialize)]
struct AuthorizedSource {
    data_source: String,
    status: bool,
}

impl<'a, H: HttpClient> Rook<'a, H> {
    pub fn new(config: &'a RookConfig, http: &'a H) -> Self {
        Self { config, http }
    }

    fn user_url(&self, version: &str, user: &UserId, rest: &str) -> String {
        format!(
            "{}/api/{version}/user_id/{}/{rest}",
            self.config.api_base,
            encode_component(user.as_str())
        )
    }

    async fn send(&self, call: &str, request: HttpRequest) -> Result<String, AggregatorError> {
        let request = request.header(
            "authorization",
            basic_auth(&self.config.client_uuid, &self.config.secret_key),
        );
        let response = self.http.send(request).await?;
        match response.status {
            200..=299 => Ok(response.body),
            _ => Err(classify("ROOK", call, CREDENTIALS, &response)),
        }
    }

    /// `GET …/data_source/{name}/authorizer[?redirect_url=…]`.
    async fn authorizer(
        &self,
        user: &UserId,
        name: &str,
        redirect_url: Option<&str>,
    ) -> Result<AuthorizerAnswer, AggregatorError> {
        let mut url = self.user_url(
            "v1",
            user,
            &format!("data_source/{}/authorizer", encode_component(name)),
        );
        if let Some(redirect_url) = redirect_url {
            url.push_str("?redirect_url=");
            url.push_str(&encode_component(redirect_url));
        }
        let body = self
            .send(
                "GET /api/v1/user_id/{user_id}/data_source/{data_source}/authorizer",
                HttpRequest::get(url),
            )
            .await?;
        serde_json::from_str(&body).map_err(|_| AggregatorError::Unavailable)
    }
}

impl<H: HttpClient> Aggregator for Rook<'_, H> {
    fn name(&self) -> &'static str {
        NAME
    }

    fn offers(&self, source: &SourceInfo) -> bool {
        rook_name(source).is_some()
    }

    async fn connect_url(&self, context: &ConnectContext<'_>) -> Result<String, AggregatorError> {
        let name = rook_name(context.source).ok_or(AggregatorError::Unavailable)?;
        let answer = self
            .authorizer(context.user, name, Some(context.return_to))
            .await?;
        if answer.authorized {
            // Nothing to consent to: straight back, where the return asks
            // the authorizer again and records `connected`.
            return Ok(context.return_to.to_owned());
        }
        answer
            .authorization_url
            .filter(|url| is_browser_url(url))
            .ok_or(AggregatorError::Unavailable)
    }

    async fn connect_outcome(
        &self,
        user: &UserId,
        source: &'static SourceInfo,
        _query: &[(String, String)],
    ) -> Result<ConnectOutcome, AggregatorError> {
        let name = rook_name(source).ok_or(AggregatorError::Unavailable)?;
        // ROOK returns with no result; its authorizer is the confirmation.
        Ok(if self.authorizer(user, name, None).await?.authorized {
            ConnectOutcome::Connected
        } else {
            ConnectOutcome::NotConnected
        })
    }

    async fn disconnect(
        &self,
        user: &UserId,
        source: &'static SourceInfo,
    ) -> Result<DisconnectOutcome, AggregatorError> {
        let name = rook_name(source).ok_or(AggregatorError::Unavailable)?;
        let request = HttpRequest::post(
            self.user_url("v1", user, "data_sources/revoke_auth"),
            "application/json",
            serde_json::json!({ "data_source": name }).to_string(),
        );
        self.send(
            "POST /api/v1/user_id/{user_id}/data_sources/revoke_auth",
            request,
        )
        .await?;
        // Our client's grant is gone; the provider may still deliver data
        // for a while, which the status does not need to show.
        Ok(DisconnectOutcome::Disconnected)
    }

    /// `POST /api/v1/extraction_app/binding/`, metadata with the app's name
    /// only (ROOK's support page stands in for the optional `support_url`).
    async fn phone_pairing(
        &self,
        pairing: &PhonePairing<'_>,
    ) -> Result<Option<String>, AggregatorError> {
        let body = serde_json::json!({
            "user_id": pairing.user.as_str(),
            "metadata": { "client_name": pairing.client_name },
            "salt": pairing.salt,
        });
        let request = HttpRequest::post(
            format!("{}/api/v1/extraction_app/binding/", self.config.api_base),
            "application/json",
            body.to_string(),
        );
        let body = self
            .send("POST /api/v1/extraction_app/binding/", request)
            .await?;
        parse_binding(&body).map(Some)
    }

    /// ROOK documents no user deletion in its API (users are removed by
    /// unlinking them in ROOK's console); revoking every source is what
    /// the edge can do, and erasure does that first.
    async fn forget_user(&self, _user: &UserId, _now_ms: i64) -> Result<(), AggregatorError> {
        Ok(())
    }

    async fn statuses(
        &self,
        user: &UserId,
        _known: &[StoredStatus],
    ) -> Result<Option<Vec<(&'static str, ConnectionStatus)>>, AggregatorError> {
        let request = HttpRequest::get(self.user_url("v2", user, "data_sources/authorized"));
        let body = self
            .send(
                "GET /api/v2/user_id/{user_id}/data_sources/authorized",
                request,
            )
            .await?;
        parse_authorized(&body).map(Some)
    }

    fn has_status_view(&self, _user: &UserId) -> bool {
        true
    }
}

/// The v2 status list, in our ids. Names we do not know are skipped.
pub fn parse_authorized(
    body: &str,
) -> Result<Vec<(&'static str, ConnectionStatus)>, AggregatorError> {
    let answer: AuthorizedAnswer =
        serde_json::from_str(body).map_err(|_| AggregatorError::Unavailable)?;
    Ok(answer
        .data_sources
        .iter()
        .filter_map(|entry| {
            let source = source_for_rook_name(&entry.data_source)?;
            let status = if entry.status {
                ConnectionStatus::Connected
            } else {
                ConnectionStatus::Disconnected
            };
            Some((source.id, status))
        })
        .collect())
}

/// The universal link of a binding answer. Only an `https` link is
/// handed to a phone: anything else reads as a malformed answer.
pub fn parse_binding(body: &str) -> Result<String, AggregatorError> {
    let answer: BindingAnswer =
        serde_json::from_str(body).map_err(|_| AggregatorError::Unavailable)?;
    let is_https = url::Url::parse(&answer.universal_link).is_ok_and(|url| url.scheme() == "https");
    if !is_https {
        return Err(AggregatorError::Unavailable);
    }
    Ok(answer.universal_link)
}

/// Only http(s) URLs are handed to a browser: never `javascript:` or data.
pub fn is_browser_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|url| matches!(url.scheme(), "https" | "http"))
}

/// The user a ROOK webhook is about. ROOK's notifications carry the
/// `user_id` at the top level (or, in data events, under `metadata`); the
/// event itself only prompts a re-check of that user's statuses, so its
/// other fields need not be trusted or even understood.
pub fn webhook_user(body: &str) -> Result<UserId, String> {
    let value: serde_json::Value = serde_json::from_str(body)
        .map_err(|error| format!("The body is not a ROOK notification: {error}."))?;
    let user = value
        .get("user_id")
        .or_else(|| value.pointer("/metadata/user_id_string"))
        .or_else(|| value.pointer("/metadata/user_id"))
        .and_then(serde_json::Value::as_str)
        .ok_or("A ROOK notification needs a user_id.")?;
    UserId::parse(user).map_err(|_| "The user_id is not a valid user id.".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregator::http::testing::{Scripted, answer, block_on};
    use crate::aggregator::http::{HttpResponse, Method, TransportError};

    fn config() -> RookConfig {
        crate::config::tests::test_rook_config()
    }

    fn user() -> UserId {
        UserId::parse("user-42@example.org").unwrap()
    }

    fn source(id: &str) -> &'static SourceInfo {
        find_source(id).unwrap()
    }

    fn run<T>(
        answers: Vec<Result<HttpResponse, TransportError>>,
        call: impl AsyncFnOnce(&Rook<'_, Scripted>) -> T,
    ) -> (T, Vec<HttpRequest>) {
        let http = Scripted::new(answers);
        let config = config();
        let rook = Rook::new(&config, &http);
        let result = block_on(call(&rook));
        (result, http.sent())
    }

    #[test]
    fn every_call_carries_basic_auth_and_exact_spellings() {
        for (id, name) in DATA_SOURCES {
            assert_eq!(rook_name(source(id)), Some(*name));
            assert_eq!(source_for_rook_name(name).unwrap().id, *id);
        }
        assert_eq!(rook_name(source("strava")), None);
        assert_eq!(source_for_rook_name("fitbit"), None, "spellings are exact");

        let (outcome, sent) = run(vec![answer(200, "{}")], async |rook| {
            rook.disconnect(&user(), source("apple_health")).await
        });
        assert_eq!(outcome, Ok(DisconnectOutcome::Disconnected));
        let revoke = &sent[0];
        assert_eq!(revoke.method, Method::Post);
        assert_eq!(
            revoke.url,
            "https://api.rook.test/api/v1/user_id/user-42%40example.org/data_sources/revoke_auth"
        );
        assert_eq!(
            revoke.header_value("authorization"),
            Some("Basic Y2xpZW50OnNlY3JldA==")
        );
        assert_eq!(
            revoke.header_value("content-type"),
            Some("application/json")
        );
        assert_eq!(
            revoke.body.as_deref(),
            Some(r#"{"data_source":"Apple Health"}"#)
        );
    }

    #[test]
    fn the_extraction_app_is_paired_through_the_binding_call() {
        let answer_body = r#"{"qr_code":"iVBORw0KGgo=","universal_link":"https://extraction.rook.test/bind?t=abc"}"#;
        let (link, sent) = run(vec![answer(200, answer_body)], async |rook| {
            let user = user();
            rook.phone_pairing(&PhonePairing {
                user: &user,
                client_name: "Acme Health",
                salt: "s4lt",
            })
            .await
        });
        assert_eq!(
            link,
            Ok(Some("https://extraction.rook.test/bind?t=abc".to_owned()))
        );
        let bind = &sent[0];
        assert_eq!(bind.method, Method::Post);
        assert_eq!(
            bind.url,
            "https://api.rook.test/api/v1/extraction_app/binding/"
        );
        assert_eq!(
            bind.header_value("authorization"),
            Some("Basic Y2xpZW50OnNlY3JldA==")
        );
        assert_eq!(bind.header_value("content-type"), Some("application/json"));
        let sent_body: serde_json::Value =
            serde_json::from_str(bind.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            sent_body,
            serde_json::json!({
                "user_id": "user-42@example.org",
                "metadata": { "client_name": "Acme Health" },
                "salt": "s4lt",
            })
        );
    }

    #[test]
    fn a_binding_answer_must_carry_an_https_link() {
        for body in [
            "{}",
            "not json",
            r#"{"universal_link":"javascript:alert(1)"}"#,
            r#"{"universal_link":"http://extraction.rook.test/bind"}"#,
            r#"{"universal_link":42}"#,
        ] {
            assert_eq!(
                parse_binding(body),
                Err(AggregatorError::Unavailable),
                "{body}"
            );
        }
        let (refused, _) = run(vec![answer(401, "")], async |rook| {
            let user = user();
            rook.phone_pairing(&PhonePairing {
                user: &user,
                client_name: "Acme",
                salt: "s",
            })
            .await
        });
        assert!(matches!(
            refused,
            Err(AggregatorError::Misconfigured { .. })
        ));
    }

    #[test]
    fn connect_uses_the_authorizer_with_our_return_url() {
        let return_to = "https://edge.test/v1/return?state=abc";
        let user = user();
        let context = ConnectContext {
            user: &user,
            source: source("garmin"),
            return_to,
            locale: None,
        };
        let (url, sent) = run(
            vec![answer(
                200,
                r#"{"data_source":"Garmin","authorized":false,"authorization_url":"https://connect.garmin.test/oauth?x=1"}"#,
            )],
            async |rook| rook.connect_url(&context).await,
        );
        assert_eq!(url.unwrap(), "https://connect.garmin.test/oauth?x=1");
        assert_eq!(
            sent[0].url,
            "https://api.rook.test/api/v1/user_id/user-42%40example.org/data_source/Garmin/authorizer\
             ?redirect_url=https%3A%2F%2Fedge.test%2Fv1%2Freturn%3Fstate%3Dabc"
        );

        let (url, _) = run(
            vec![answer(200, r#"{"data_source":"Garmin","authorized":true}"#)],
            async |rook| rook.connect_url(&context).await,
        );
        assert_eq!(url.unwrap(), return_to, "already authorized: straight back");

        let (url, _) = run(
            vec![answer(
                200,
                r#"{"data_source":"Garmin","authorized":false,"authorization_url":"javascript:alert(1)"}"#,
            )],
            async |rook| rook.connect_url(&context).await,
        );
        assert_eq!(url, Err(AggregatorError::Unavailable));
    }

    #[test]
    fn the_return_asks_the_authorizer_again() {
        let (outcome, sent) = run(
            vec![answer(200, r#"{"data_source":"Oura","authorized":true}"#)],
            async |rook| rook.connect_outcome(&user(), source("oura"), &[]).await,
        );
        assert_eq!(outcome, Ok(ConnectOutcome::Connected));
        assert!(sent[0].url.ends_with("/data_source/Oura/authorizer"));
        let (outcome, _) = run(
            vec![answer(
                200,
                r#"{"data_source":"Oura","authorized":false,"authorization_url":"https://x.test"}"#,
            )],
            async |rook| rook.connect_outcome(&user(), source("oura"), &[]).await,
        );
        assert_eq!(outcome, Ok(ConnectOutcome::NotConnected));
    }

    #[test]
    fn statuses_come_from_one_call() {
        let (statuses, sent) = run(
            vec![answer(
                200,
                r#"{"data_sources":[{"data_source":"Oura","status":true,"image":"https://i"},{"data_source":"Garmin","status":false},{"data_source":"Suunto","status":true}]}"#,
            )],
            async |rook| rook.statuses(&user(), &[]).await,
        );
        assert_eq!(
            statuses,
            Ok(Some(vec![
                ("oura", ConnectionStatus::Connected),
                ("garmin", ConnectionStatus::Disconnected)
            ]))
        );
        assert_eq!(sent.len(), 1);
        assert_eq!(
            sent[0].url,
            "https://api.rook.test/api/v2/user_id/user-42%40example.org/data_sources/authorized"
        );
        let (statuses, _) = run(vec![answer(200, "{\"data_sources\":3}")], async |rook| {
            rook.statuses(&user(), &[]).await
        });
        assert_eq!(statuses, Err(AggregatorError::Unavailable));
    }

    #[test]
    fn errors_follow_the_taxonomy() {
        let revoke = |answers| {
            run(answers, async |rook| {
                rook.disconnect(&user(), source("fitbit")).await
            })
            .0
        };
        assert_eq!(
            revoke(vec![answer(400, r#"{"message":"Access token expired."}"#)]),
            Err(AggregatorError::GrantExpired)
        );
        assert!(matches!(
            revoke(vec![answer(401, "")]),
            Err(AggregatorError::Misconfigured { .. })
        ));
        assert_eq!(
            revoke(vec![answer(503, "")]),
            Err(AggregatorError::Unavailable)
        );
        assert_eq!(
            revoke(vec![Err(TransportError::Failed)]),
            Err(AggregatorError::Unavailable)
        );
    }

    #[test]
    fn webhooks_name_the_user() {
        assert_eq!(
            webhook_user(r#"{"user_id":"alice","data_source":"Garmin"}"#).unwrap(),
            UserId::parse("alice").unwrap()
        );
        assert_eq!(
            webhook_user(r#"{"metadata":{"user_id_string":"bob"}}"#).unwrap(),
            UserId::parse("bob").unwrap()
        );
        for bad in ["", "{}", r#"{"user_id":"a/b"}"#, r#"{"user_id":7}"#] {
            assert!(webhook_user(bad).is_err(), "{bad}");
        }
    }
}
