//! The edge's routing table, as a pure function of method and path.
//!
//! Path segments are matched raw (not percent-decoded): an id containing `%`,
//! `..` or anything outside its alphabet is refused, never normalised into
//! something else. Kept apart from the Worker so this is tested natively.

use healthlink_shared::{SourceInfo, find_source};
use percent_encoding::percent_decode_str;

use crate::error::ApiError;
use crate::user_id::UserId;

pub const RETURN_PATH: &str = "/v1/return";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Healthz,
    OpenApi,
    /// `OPTIONS` on any API path: a CORS preflight.
    Preflight,
    // Server-to-server (API key).
    CreateSession,
    UserConnections(UserId),
    UserDisconnect(UserId, &'static SourceInfo),
    UserDelete(UserId, &'static SourceInfo),
    /// The host's backend says when data last arrived from the source.
    UserSync(UserId, &'static SourceInfo),
    UserAudit(UserId),
    /// The user's whole trail as one signed, hash-chained document.
    UserAuditExport(UserId),
    /// The public keys audit exports are signed with (no credentials).
    AuditKeys,
    DeleteUser(UserId),
    /// The user's recent events and their deliveries.
    UserEvents(UserId),
    /// Deliver one event again (its `webhook-id`).
    Redeliver(UserId, String),
    /// Re-enable the events endpoint after it answered 410.
    ResumeEvents,
    /// Mint a hosted connect link.
    CreateLink,
    /// Revoke one (its sealed id).
    RevokeLink(String),
    /// The user's hosted connect links.
    UserLinks(UserId),
    // Widget (session token).
    Connections,
    Connect(&'static SourceInfo),
    Disconnect(&'static SourceInfo),
    Delete(&'static SourceInfo),
    /// A single-use ticket for a live-updates socket.
    LiveTicket,
    /// The live-updates socket itself (a WebSocket upgrade, with a ticket).
    Live,
    // Aggregator → edge (shared secret).
    ThryveWebhook,
    RookWebhook,
    // Browser navigation.
    Return,
    SandboxConsent,
    DemoSession,
    /// `/connect/<token>`: a hosted connect link's page.
    ConnectPage(String),
    /// `/demo/…`: the demo page's static files, served only on a demo edge.
    DemoPage,
}

pub fn route(method: &str, path: &str) -> Result<Route, ApiError> {
    // Segments as the client meant them: `/v1/users/%40x` is user `@x`. A
    // decoded `/` or `.` lands inside one segment, where the id checks
    // refuse it; bytes that are not UTF-8 match no route.
    let decoded: Vec<String> = path
        .strip_prefix('/')
        .unwrap_or(path)
        .split('/')
        .map(|segment| percent_decode_str(segment).decode_utf8().map(String::from))
        .collect::<Result<_, _>>()
        .map_err(|_| ApiError::NotFound)?;
    let segments: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let (route, allowed): (Route, &[&str]) = match segments.as_slice() {
        ["healthz"] => (Route::Healthz, &["GET"]),
        ["openapi.json"] => (Route::OpenApi, &["GET"]),
        ["v1", "sessions"] => (Route::CreateSession, &["POST"]),
        ["v1", "connections"] => (Route::Connections, &["GET"]),
        ["v1", "connections", source, "connect"] => (Route::Connect(source_id(source)?), &["POST"]),
        ["v1", "connections", source, "disconnect"] => {
            (Route::Disconnect(source_id(source)?), &["POST"])
        }
        ["v1", "connections", source, "delete"] => (Route::Delete(source_id(source)?), &["POST"]),
        ["v1", "live", "ticket"] => (Route::LiveTicket, &["POST"]),
        ["v1", "live"] => (Route::Live, &["GET"]),
        ["v1", "return"] => (Route::Return, &["GET"]),
        ["v1", "webhooks", "thryve"] => (Route::ThryveWebhook, &["POST"]),
        ["v1", "webhooks", "rook"] => (Route::RookWebhook, &["POST"]),
        ["v1", "users", user] => (Route::DeleteUser(UserId::parse(user)?), &["DELETE"]),
        ["v1", "users", user, "connections"] => {
            (Route::UserConnections(UserId::parse(user)?), &["GET"])
        }
        ["v1", "users", user, "connections", source, "disconnect"] => (
            Route::UserDisconnect(UserId::parse(user)?, source_id(source)?),
            &["POST"],
        ),
        ["v1", "users", user, "connections", source, "delete"] => (
            Route::UserDelete(UserId::parse(user)?, source_id(source)?),
            &["POST"],
        ),
        ["v1", "users", user, "connections", source, "sync"] => (
            Route::UserSync(UserId::parse(user)?, source_id(source)?),
            &["POST"],
        ),
        ["v1", "users", user, "events"] => (Route::UserEvents(UserId::parse(user)?), &["GET"]),
        ["v1", "users", user, "events", id, "redeliver"] => (
            Route::Redeliver(UserId::parse(user)?, event_id(id)?),
            &["POST"],
        ),
        ["v1", "events", "resume"] => (Route::ResumeEvents, &["POST"]),
        ["v1", "links"] => (Route::CreateLink, &["POST"]),
        ["v1", "links", id] => (Route::RevokeLink(sealed(id, "hlk1.")?), &["DELETE"]),
        ["v1", "users", user, "links"] => (Route::UserLinks(UserId::parse(user)?), &["GET"]),
        // Any token shape gets the link's friendly page, never a bare 404.
        ["connect", token] => (Route::ConnectPage((*token).to_owned()), &["GET"]),
        ["v1", "users", user, "audit"] => (Route::UserAudit(UserId::parse(user)?), &["GET"]),
        ["v1", "users", user, "audit", "export"] => {
            (Route::UserAuditExport(UserId::parse(user)?), &["GET"])
        }
        ["v1", "audit", "keys"] => (Route::AuditKeys, &["GET"]),
        ["sandbox", "connect"] => (Route::SandboxConsent, &["GET"]),
        ["demo", "session"] => (Route::DemoSession, &["POST"]),
        ["demo", ..] => (Route::DemoPage, &["GET"]),
        _ => return Err(ApiError::NotFound),
    };
    let api = segments.first() == Some(&"v1");
    if method == "OPTIONS" && api {
        return Ok(Route::Preflight);
    }
    if !allowed.contains(&method) {
        return Err(ApiError::MethodNotAllowed {
            allow: allow_header(allowed, api),
        });
    }
    Ok(route)
}

/// What a 405 lists: the route's methods, and `OPTIONS` (CORS preflight)
/// under `/v1/`. Every route has one method, so the answers are constants.
fn allow_header(allowed: &[&str], api: bool) -> &'static str {
    match (allowed, api) {
        (["GET"], true) => "GET, OPTIONS",
        (["POST"], true) => "POST, OPTIONS",
        (["DELETE"], true) => "DELETE, OPTIONS",
        (["POST"], false) => "POST",
        _ => "GET",
    }
}

/// A sealed value's path segment: its kind's prefix, and no longer than
/// any token we accept; anything else names nothing.
fn sealed(segment: &str, prefix: &str) -> Result<String, ApiError> {
    (segment.starts_with(prefix) && segment.len() <= crate::signing::MAX_TOKEN_LEN)
        .then(|| segment.to_owned())
        .ok_or(ApiError::NotFound)
}

/// An event id as the edge writes them (`msg_` and up to 64 letters or
/// digits); anything else names no event.
fn event_id(segment: &str) -> Result<String, ApiError> {
    let well_formed = segment.strip_prefix("msg_").is_some_and(|rest| {
        (1..=64).contains(&rest.len()) && rest.bytes().all(|byte| byte.is_ascii_alphanumeric())
    });
    well_formed
        .then(|| segment.to_owned())
        .ok_or(ApiError::EventNotFound)
}

fn source_id(segment: &str) -> Result<&'static SourceInfo, ApiError> {
    find_source(segment).ok_or(ApiError::UnknownSource)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(method: &str, path: &str, expected: Result<Route, ApiError>) {
        assert_eq!(route(method, path), expected, "{method} {path}");
    }

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    fn source(id: &str) -> &'static SourceInfo {
        find_source(id).unwrap()
    }

    /// wrangler.toml sends these paths to the Worker before any asset lookup
    /// (`run_worker_first`); a route missing there would still work, but
    /// each request would first ask the asset worker for a file — and the
    /// demo page must not be served as a plain asset at all.
    #[test]
    fn every_route_runs_the_worker_first() {
        let wrangler = include_str!("../../wrangler.toml");
        let line = wrangler
            .lines()
            .find(|line| line.starts_with("run_worker_first"))
            .expect("run_worker_first in wrangler.toml");
        let patterns: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
        let runs_first = |path: &str| {
            patterns
                .iter()
                .any(|pattern| match pattern.strip_suffix('*') {
                    Some(prefix) => path.starts_with(prefix),
                    None => path == *pattern,
                })
        };
        for path in [
            "/healthz",
            "/openapi.json",
            "/v1/sessions",
            "/v1/connections",
            "/v1/connections/oura/connect",
            "/v1/return",
            "/v1/webhooks/rook",
            "/v1/users/u1/audit",
            "/v1/users/u1/audit/export",
            "/v1/audit/keys",
            "/sandbox/connect",
            "/demo/session",
            "/demo/",
            "/v1/links",
            "/connect/hll1.x",
        ] {
            assert_ne!(route("GET", path), Err(ApiError::NotFound), "{path}");
            assert!(runs_first(path), "{path} is not in run_worker_first");
        }
    }

    #[test]
    fn known_routes() {
        check("GET", "/healthz", Ok(Route::Healthz));
        check("GET", "/openapi.json", Ok(Route::OpenApi));
        check("POST", "/v1/sessions", Ok(Route::CreateSession));
        check("GET", "/v1/connections", Ok(Route::Connections));
        check("OPTIONS", "/v1/connections", Ok(Route::Preflight));
        check(
            "POST",
            "/v1/connections/oura/connect",
            Ok(Route::Connect(source("oura"))),
        );
        check(
            "POST",
            "/v1/connections/apple_health/disconnect",
            Ok(Route::Disconnect(source("apple_health"))),
        );
        check("GET", "/v1/return", Ok(Route::Return));
        check(
            "GET",
            "/v1/users/a@b.c/connections",
            Ok(Route::UserConnections(user("a@b.c"))),
        );
        check(
            "POST",
            "/v1/users/u1/connections/garmin/disconnect",
            Ok(Route::UserDisconnect(user("u1"), source("garmin"))),
        );
        check(
            "POST",
            "/v1/users/u1/connections/garmin/delete",
            Ok(Route::UserDelete(user("u1"), source("garmin"))),
        );
        check(
            "POST",
            "/v1/users/u1/connections/garmin/sync",
            Ok(Route::UserSync(user("u1"), source("garmin"))),
        );
        check(
            "POST",
            "/v1/users/u1/connections/myspace/sync",
            Err(ApiError::UnknownSource),
        );
        check(
            "GET",
            "/v1/users/u1/connections/garmin/sync",
            Err(ApiError::MethodNotAllowed {
                allow: "POST, OPTIONS",
            }),
        );
        check(
            "GET",
            "/v1/users/u1/events",
            Ok(Route::UserEvents(user("u1"))),
        );
        check(
            "POST",
            "/v1/users/u1/events/msg_ab12/redeliver",
            Ok(Route::Redeliver(user("u1"), "msg_ab12".into())),
        );
        check(
            "POST",
            "/v1/users/u1/events/msg_a%2Fb/redeliver",
            Err(ApiError::EventNotFound),
        );
        check(
            "POST",
            "/v1/users/u1/events/evt_1/redeliver",
            Err(ApiError::EventNotFound),
        );
        check("POST", "/v1/events/resume", Ok(Route::ResumeEvents));
        check("POST", "/v1/live/ticket", Ok(Route::LiveTicket));
        check("GET", "/v1/live", Ok(Route::Live));
        check(
            "POST",
            "/v1/connections/oura/delete",
            Ok(Route::Delete(source("oura"))),
        );
        check(
            "GET",
            "/v1/users/u1/audit",
            Ok(Route::UserAudit(user("u1"))),
        );
        check(
            "GET",
            "/v1/users/u1/audit/export",
            Ok(Route::UserAuditExport(user("u1"))),
        );
        check("GET", "/v1/audit/keys", Ok(Route::AuditKeys));
        check(
            "GET",
            "/v1/users/a%2Fb/audit/export",
            Err(ApiError::InvalidUserId),
        );
        check("DELETE", "/v1/users/u1", Ok(Route::DeleteUser(user("u1"))));
        check("GET", "/sandbox/connect", Ok(Route::SandboxConsent));
        // Percent-encoded segments are decoded before they are checked.
        check(
            "GET",
            "/v1/users/%40x/audit",
            Ok(Route::UserAudit(user("@x"))),
        );
        check("GET", "/v1/users/a%2Fb/audit", Err(ApiError::InvalidUserId));
        check(
            "GET",
            "/v1/users/%2E%2E/audit",
            Err(ApiError::InvalidUserId),
        );
        check("GET", "/v1/users/%FF/audit", Err(ApiError::NotFound));
        check("POST", "/demo/session", Ok(Route::DemoSession));
        check("POST", "/v1/webhooks/thryve", Ok(Route::ThryveWebhook));
        check("POST", "/v1/webhooks/rook", Ok(Route::RookWebhook));
        check(
            "GET",
            "/v1/webhooks/rook",
            Err(ApiError::MethodNotAllowed {
                allow: "POST, OPTIONS",
            }),
        );
    }

    #[test]
    fn wrong_method_and_unknown_paths() {
        check(
            "POST",
            "/v1/connections",
            Err(ApiError::MethodNotAllowed {
                allow: "GET, OPTIONS",
            }),
        );
        check(
            "GET",
            "/v1/connections/oura/connect",
            Err(ApiError::MethodNotAllowed {
                allow: "POST, OPTIONS",
            }),
        );
        check(
            "DELETE",
            "/healthz",
            Err(ApiError::MethodNotAllowed { allow: "GET" }),
        );
        check(
            "GET",
            "/demo/session",
            Err(ApiError::MethodNotAllowed { allow: "POST" }),
        );
        check("GET", "/v1/connections/", Err(ApiError::NotFound));
        check("GET", "/v1/../healthz", Err(ApiError::NotFound));
        check("GET", "/V1/connections", Err(ApiError::NotFound));
        check("OPTIONS", "/v1/nothing", Err(ApiError::NotFound));
    }

    #[test]
    fn path_tricks_in_ids_are_refused() {
        for trick in [
            "..",
            "%2e%2e",
            "oura%2Fconnect",
            "Oura",
            "ｏura",
            "oura%00",
            "",
        ] {
            check(
                "POST",
                &format!("/v1/connections/{trick}/connect"),
                Err(ApiError::UnknownSource),
            );
        }
        for trick in ["..", ".", "a%2Fb", "%2e%2e", "ünï", &"a".repeat(51)] {
            check(
                "GET",
                &format!("/v1/users/{trick}/connections"),
                Err(ApiError::InvalidUserId),
            );
        }
    }
}
