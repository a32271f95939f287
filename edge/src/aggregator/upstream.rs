//! What an aggregator's error answer means, for every aggregator alike.
//!
//! The taxonomy follows what providers document (see OCARIoT's Fitbit
//! errors): an expired or invalid user token means the user must connect
//! again; a request-limit message or 429 means wait; refused client
//! credentials are the operator's to fix; anything on their side (5xx,
//! timeouts, nonsense) is temporary.

use super::AggregatorError;
use super::http::HttpResponse;

/// Default wait when a 429 carries no usable `Retry-After`.
const DEFAULT_RETRY_AFTER_SECONDS: u32 = 60;
/// "Data request limit … has expired": the provider's hourly quota.
const QUOTA_RETRY_AFTER_SECONDS: u32 = 3600;

/// Phrases of a 4xx body that mean the user's grant is gone.
const GRANT_EXPIRED: &[&str] = &[
    "access token expired",
    "access token invalid",
    "refresh token invalid",
    "refresh token expired",
    "token expired",
    "token invalid",
    "invalid token",
    "invalid_grant",
];
const QUOTA_EXHAUSTED: &[&str] = &["request limit", "rate limit"];
const CLIENT_REFUSED: &[&str] = &["client data", "invalid client", "invalid_client"];

/// Classifies a non-success answer from `aggregator` to `call` (a short
/// description for the operator's log, such as `"POST /v5/accessToken"`).
/// `credentials` names the variables an operator should check.
pub fn classify(
    aggregator: &str,
    call: &str,
    credentials: &str,
    response: &HttpResponse,
) -> AggregatorError {
    let refused = || AggregatorError::Misconfigured {
        detail: format!(
            "{aggregator} refused {call} with HTTP {}; check {credentials}.",
            response.status
        ),
    };
    match response.status {
        401 | 403 => refused(),
        429 => AggregatorError::RateLimited {
            retry_after_seconds: retry_after_seconds(response.retry_after.as_deref()),
        },
        400..=499 => {
            let message = error_message(&response.body).to_ascii_lowercase();
            let says = |phrases: &[&str]| phrases.iter().any(|phrase| message.contains(phrase));
            if says(GRANT_EXPIRED) {
                AggregatorError::GrantExpired
            } else if says(QUOTA_EXHAUSTED) {
                AggregatorError::RateLimited {
                    retry_after_seconds: retry_after_seconds(response.retry_after.as_deref())
                        .max(QUOTA_RETRY_AFTER_SECONDS),
                }
            } else if says(CLIENT_REFUSED) {
                refused()
            } else {
                // Our request does not fit their contract: drift the operator
                // must hear about; retrying would not help.
                AggregatorError::Misconfigured {
                    detail: format!(
                        "{aggregator} rejected {call} with HTTP {}: {}",
                        response.status,
                        loggable(&message)
                    ),
                }
            }
        }
        _ => AggregatorError::Unavailable,
    }
}

/// `Retry-After` in seconds (the HTTP-date form is rare upstream and read as
/// the default), bounded to one hour.
pub fn retry_after_seconds(header: Option<&str>) -> u32 {
    header
        .and_then(|value| value.trim().parse::<u32>().ok())
        .map_or(DEFAULT_RETRY_AFTER_SECONDS, |seconds| {
            seconds.clamp(1, QUOTA_RETRY_AFTER_SECONDS)
        })
}

/// The human message of an error body: the `message`, `error`, `detail` or
/// `title` field of a JSON object, else the text itself.
fn error_message(body: &str) -> String {
    if let Ok(serde_json::Value::Object(object)) = serde_json::from_str(body) {
        for key in ["message", "error_description", "error", "detail", "title"] {
            if let Some(serde_json::Value::String(text)) = object.get(key) {
                return text.clone();
            }
        }
    }
    body.to_owned()
}

/// An upstream message, shortened and reduced to printable ASCII so it is
/// safe to put in a log line.
fn loggable(message: &str) -> String {
    message
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(160)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_answer(status: u16, body: &str, retry_after: Option<&str>) -> AggregatorError {
        classify(
            "ROOK",
            "POST /revoke",
            "ROOK_CLIENT_UUID and ROOK_SECRET_KEY",
            &HttpResponse {
                status,
                body: body.into(),
                retry_after: retry_after.map(str::to_owned),
                location: None,
            },
        )
    }

    #[test]
    fn follows_the_documented_taxonomy() {
        let expired = AggregatorError::GrantExpired;
        assert_eq!(
            classify_answer(400, r#"{"message":"Access token expired."}"#, None),
            expired
        );
        assert_eq!(classify_answer(400, "Access token invalid.", None), expired);
        assert_eq!(
            classify_answer(400, r#"{"error":"Refresh token invalid."}"#, None),
            expired
        );
        assert_eq!(
            classify_answer(
                400,
                r#"{"message":"Data request limit for access token 1a2b has expired."}"#,
                None
            ),
            AggregatorError::RateLimited {
                retry_after_seconds: 3600
            }
        );
        assert!(matches!(
            classify_answer(400, r#"{"message":"Invalid Fitbit Client data."}"#, None),
            AggregatorError::Misconfigured { .. }
        ));
        assert_eq!(
            classify_answer(503, "Could not connect", None),
            AggregatorError::Unavailable
        );
        assert_eq!(classify_answer(500, "", None), AggregatorError::Unavailable);
    }

    #[test]
    fn our_credentials_refused_is_an_operator_error_naming_what_to_check() {
        for status in [401, 403] {
            let AggregatorError::Misconfigured { detail } = classify_answer(status, "", None)
            else {
                panic!("{status}")
            };
            assert!(detail.contains("ROOK_SECRET_KEY"), "{detail}");
            assert!(detail.contains(&status.to_string()), "{detail}");
        }
    }

    #[test]
    fn rate_limits_carry_a_bounded_retry_after() {
        let limited = |header| match classify_answer(429, "", header) {
            AggregatorError::RateLimited {
                retry_after_seconds,
            } => retry_after_seconds,
            other => panic!("{other:?}"),
        };
        assert_eq!(limited(Some("120")), 120);
        assert_eq!(limited(None), 60);
        assert_eq!(limited(Some("Wed, 21 Oct 2026 07:28:00 GMT")), 60);
        assert_eq!(limited(Some("999999")), 3600);
        assert_eq!(limited(Some("0")), 1);
    }

    #[test]
    fn other_client_errors_are_logged_drift_with_a_safe_excerpt() {
        let AggregatorError::Misconfigured { detail } =
            classify_answer(422, "{\"message\":\"data_source not valid\u{7}\"}", None)
        else {
            panic!()
        };
        assert!(detail.contains("422") && detail.contains("data_source not valid"));
        assert!(!detail.contains('\u{7}'));
    }
}
