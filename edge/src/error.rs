//! The edge's one error type and its single conversion to problem+json.
//!
//! Handlers return `ApiError`; `ApiError::problem` is the only place that
//! decides what a client sees. Internal detail (runtime errors, storage
//! failures, upstream bodies) is logged by the glue, never put in a response.

use healthlink_shared::Problem;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No credentials, or credentials we do not accept (forged, foreign key,
    /// wrong kind). Deliberately one answer for all of them.
    Unauthorized,
    /// A session that was valid once but has expired: the host should mint a
    /// new one.
    SessionExpired,
    /// The session lacks the scope this action needs.
    MissingScope {
        scope: &'static str,
    },
    /// The request's `Origin` is not one the operator (or the session) allows.
    OriginNotAllowed,
    /// A session for one user used on another user's resource.
    Forbidden,
    NotFound,
    /// The path exists; `allow` is what its `Allow` header lists.
    MethodNotAllowed {
        allow: &'static str,
    },
    InvalidUserId,
    UnknownSource,
    /// The session restricts the widget to other sources.
    SourceNotAllowed,
    /// Apple Health and Health Connect connect on the phone, not in a browser.
    PhoneOnlySource,
    /// The body or query is not what the route expects; `detail` says how.
    InvalidRequest {
        detail: String,
    },
    PayloadTooLarge,
    UnsupportedMediaType,
    ReturnUrlNotAllowed,
    /// The return `state` is forged, tampered, expired or for someone else.
    InvalidState,
    /// The return `state` was already used once.
    StateAlreadyUsed,
    /// The aggregator asks us to slow down.
    RateLimited {
        retry_after_seconds: u32,
    },
    /// One user made more connect or disconnect attempts than a person
    /// would (per minute); retry after this many seconds.
    TooManyAttempts {
        retry_after_seconds: u32,
    },
    /// The aggregator failed, timed out or answered nonsense; retry later.
    UpstreamUnavailable,
    /// The aggregator reports the source still connected after a revoke.
    DisconnectFailed,
    /// The user's grant at the provider expired or was revoked there; the
    /// source is now `expired` and needs connecting again.
    SourceExpired,
    /// The aggregator refused our credentials or our request: the operator
    /// must act (logged in detail); users get a generic message.
    UpstreamRefused,
    /// A webhook without the shared secret.
    WebhookUnauthorized,
    /// A data report for a source the user has not connected (nor is
    /// connecting or disconnecting): there is no data flow to track.
    SourceNotConnected,
    /// No event with that id for that user.
    EventNotFound,
    /// The user has as many live-update sockets open as allowed.
    TooManyConnections,
    /// The edge has no events endpoint configured.
    EventsNotConfigured,
    /// The operator's configuration is incomplete or wrong; `detail` names the
    /// variable so the operator can fix it. Never contains a secret's value.
    Misconfigured {
        detail: String,
    },
    /// Something failed inside the edge (storage, runtime).
    Internal,
}

impl ApiError {
    /// Bad input, with a sentence that says what is wrong with it.
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::InvalidRequest {
            detail: detail.into(),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidUserId
            | Self::InvalidRequest { .. }
            | Self::ReturnUrlNotAllowed
            | Self::InvalidState
            | Self::PhoneOnlySource => 400,
            Self::Unauthorized | Self::SessionExpired | Self::WebhookUnauthorized => 401,
            Self::MissingScope { .. }
            | Self::OriginNotAllowed
            | Self::Forbidden
            | Self::SourceNotAllowed => 403,
            Self::NotFound | Self::UnknownSource | Self::EventNotFound => 404,
            Self::MethodNotAllowed { .. } => 405,
            Self::StateAlreadyUsed
            | Self::SourceExpired
            | Self::SourceNotConnected
            | Self::EventsNotConfigured => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::RateLimited { .. } | Self::TooManyAttempts { .. } | Self::TooManyConnections => {
                429
            }
            Self::Misconfigured { .. } | Self::Internal => 500,
            Self::DisconnectFailed | Self::UpstreamRefused => 502,
            Self::UpstreamUnavailable => 503,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::SessionExpired => "session_expired",
            Self::MissingScope { .. } => "missing_scope",
            Self::OriginNotAllowed => "origin_not_allowed",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::InvalidUserId => "invalid_user_id",
            Self::UnknownSource => "unknown_source",
            Self::SourceNotAllowed => "source_not_allowed",
            Self::PhoneOnlySource => "phone_only_source",
            Self::InvalidRequest { .. } => "invalid_request",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::ReturnUrlNotAllowed => "return_url_not_allowed",
            Self::InvalidState => "invalid_state",
            Self::StateAlreadyUsed => "state_already_used",
            // The same code as upstream rate limiting: for the user and the
            // widget it means the same thing, "try again later".
            Self::RateLimited { .. } | Self::TooManyAttempts { .. } => "rate_limited",
            Self::UpstreamUnavailable => "upstream_unavailable",
            Self::DisconnectFailed => "disconnect_failed",
            Self::SourceExpired => "source_expired",
            Self::UpstreamRefused => "upstream_refused",
            Self::WebhookUnauthorized => "webhook_unauthorized",
            Self::SourceNotConnected => "source_not_connected",
            Self::EventNotFound => "event_not_found",
            Self::TooManyConnections => "too_many_connections",
            Self::EventsNotConfigured => "events_not_configured",
            Self::Misconfigured { .. } => "misconfigured",
            Self::Internal => "internal_error",
        }
    }

    /// Seconds a client should wait before retrying, for `Retry-After`.
    /// The `Allow` header a 405 must carry (RFC 9110).
    pub fn allow(&self) -> Option<&'static str> {
        match self {
            Self::MethodNotAllowed { allow } => Some(allow),
            _ => None,
        }
    }

    pub fn retry_after(&self) -> Option<u32> {
        match self {
            Self::RateLimited {
                retry_after_seconds,
            }
            | Self::TooManyAttempts {
                retry_after_seconds,
            } => Some(*retry_after_seconds),
            Self::UpstreamUnavailable => Some(30),
            _ => None,
        }
    }

    pub fn problem(&self) -> Problem {
        let (title, detail): (&str, Option<String>) = match self {
            Self::Unauthorized => (
                "Not signed in",
                Some("Send a valid session token or API key in the Authorization header.".into()),
            ),
            Self::SessionExpired => (
                "Session expired",
                Some("Ask the host app for a new session.".into()),
            ),
            Self::MissingScope { scope } => (
                "Not allowed",
                Some(format!(
                    "This session does not include the `{scope}` scope."
                )),
            ),
            Self::OriginNotAllowed => (
                "Origin not allowed",
                Some("This page's origin is not allowed to use this edge or session.".into()),
            ),
            Self::Forbidden => (
                "Not allowed",
                Some("This session belongs to another user.".into()),
            ),
            Self::NotFound => ("Not found", None),
            Self::TooManyConnections => (
                "Too many open widgets",
                Some("Close another tab with this widget, then try again.".into()),
            ),
            Self::SourceNotConnected => (
                "Data source not connected",
                Some(
                    "This user has not connected this source, so there is no data flow to \
                     track; nothing was stored. A report that crossed a disconnect can be \
                     ignored."
                        .into(),
                ),
            ),
            Self::EventNotFound => (
                "Event not found",
                Some("This user has no event with that id (old events are removed).".into()),
            ),
            Self::EventsNotConfigured => (
                "Events are not configured",
                Some("Set HEALTHLINK_EVENTS_URL and HEALTHLINK_EVENTS_SECRET on the edge.".into()),
            ),
            Self::MethodNotAllowed { .. } => ("Method not allowed", None),
            Self::InvalidUserId => (
                "Invalid user id",
                Some("A user id is 1–50 characters of A–Z, a–z, 0–9 and . _ : @ -.".into()),
            ),
            Self::UnknownSource => ("Unknown data source", None),
            Self::SourceNotAllowed => (
                "Data source not offered",
                Some("This session does not offer that data source.".into()),
            ),
            Self::PhoneOnlySource => (
                "Connect on your phone",
                Some(
                    "This data source is connected in the app on your phone, not in a browser."
                        .into(),
                ),
            ),
            Self::InvalidRequest { detail } => ("Invalid request", Some(detail.clone())),
            Self::PayloadTooLarge => (
                "Request too large",
                Some("Request bodies are limited to 16 KB.".into()),
            ),
            Self::UnsupportedMediaType => (
                "Unsupported media type",
                Some("Send the body as application/json.".into()),
            ),
            Self::ReturnUrlNotAllowed => (
                "Return URL not allowed",
                Some(
                    "The return_url is not on this edge's HEALTHLINK_RETURN_URLS allowlist.".into(),
                ),
            ),
            Self::InvalidState => (
                "This link is not valid",
                Some("The link has expired or was changed. Start again from the app.".into()),
            ),
            Self::StateAlreadyUsed => (
                "This link was already used",
                Some("Each return link works once. Start again from the app.".into()),
            ),
            Self::RateLimited { .. } => (
                "Too many requests",
                Some("The data provider asks us to slow down. Try again in a little while.".into()),
            ),
            Self::TooManyAttempts { .. } => (
                "Too many attempts",
                Some(
                    "There were too many connect or disconnect attempts in the last minute. \
                     Try again in a little while."
                        .into(),
                ),
            ),
            Self::UpstreamUnavailable => (
                "Data provider unavailable",
                Some("The data provider is not answering right now. Try again in a minute.".into()),
            ),
            Self::DisconnectFailed => (
                "Disconnect did not go through",
                Some("The data provider still reports this source as connected. Try again.".into()),
            ),
            Self::SourceExpired => (
                "Connection expired",
                Some(
                    "The data provider no longer accepts this connection. Connect the source \
                     again to keep sharing data."
                        .into(),
                ),
            ),
            Self::UpstreamRefused => (
                "Data provider not available for this app",
                Some(
                    "The data provider did not accept this app's request. The app's team has \
                     been notified; please try again later."
                        .into(),
                ),
            ),
            Self::WebhookUnauthorized => (
                "Webhook not authenticated",
                Some("Send the configured webhook secret as a Bearer token.".into()),
            ),
            Self::Misconfigured { detail } => {
                ("Healthlink is not configured", Some(detail.clone()))
            }
            Self::Internal => (
                "Something went wrong on our side",
                Some("Please try again in a moment.".into()),
            ),
        };
        Problem::new(self.status(), self.code(), title, detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_carries_status_and_code() {
        let problem = ApiError::UnknownSource.problem();
        assert_eq!(
            (problem.status, problem.code.as_str()),
            (404, "unknown_source")
        );
        assert_eq!(problem.kind, "urn:healthlink:problem:unknown_source");
    }

    #[test]
    fn client_errors_are_4xx_and_upstream_trouble_is_retryable() {
        for error in [
            ApiError::Unauthorized,
            ApiError::InvalidState,
            ApiError::StateAlreadyUsed,
            ApiError::PayloadTooLarge,
            ApiError::RateLimited {
                retry_after_seconds: 60,
            },
        ] {
            assert!((400..500).contains(&error.status()), "{error:?}");
        }
        assert_eq!(ApiError::UpstreamUnavailable.retry_after(), Some(30));
        assert_eq!(ApiError::Unauthorized.retry_after(), None);
    }

    #[test]
    fn internal_errors_say_nothing_about_internals() {
        let problem = ApiError::Internal.problem();
        assert_eq!(problem.status, 500);
        assert_eq!(
            problem.detail.as_deref(),
            Some("Please try again in a moment.")
        );
    }
}
