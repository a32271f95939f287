//! What the fuzz targets share: the fixed configuration they run the edge
//! with, and the invariants of an aggregator's error answer (ROOK and Thryve
//! both read theirs through `upstream::classify`).

use std::sync::LazyLock;

use healthlink_edge::aggregator::AggregatorError;
use healthlink_edge::aggregator::http::HttpResponse;
use healthlink_edge::aggregator::upstream::{classify, retry_after_seconds};
use healthlink_edge::config::{Config, SECRET_API_KEY, SECRET_SIGNING_KEY, VAR_ALLOWED_ORIGINS};
use healthlink_edge::signing::Signer;

/// A fixed "now", Unix seconds: runs must be reproducible, so no clock.
pub const NOW: i64 = 1_800_000_000;

/// Parsed once: building it per input would slow every run down.
static CONFIG: LazyLock<Config> = LazyLock::new(|| {
    Config::from_lookup(|name| {
        let value = match name {
            SECRET_SIGNING_KEY => "fuzz-signing-key-0123456789abcdef0123456789",
            SECRET_API_KEY => "fuzz-api-key-0123456789abcdef",
            VAR_ALLOWED_ORIGINS => "https://app.example.com",
            _ => return None,
        };
        Some(value.to_owned())
    })
    .expect("the fuzz configuration is valid")
});

static SIGNER: LazyLock<Signer> = LazyLock::new(|| Signer::new(CONFIG.signing_key.as_bytes()));

pub fn config() -> &'static Config {
    &CONFIG
}

/// The signer the Worker builds from `config()`.
pub fn signer() -> &'static Signer {
    &SIGNER
}

/// One status per branch of `classify`.
const STATUSES: [u16; 7] = [302, 400, 401, 403, 422, 429, 503];

/// Feeds `text` to `classify` as the body and `Retry-After` of an error
/// answer, and checks that the verdict fits the status and that what reaches
/// the operator's log cannot be shaped by the aggregator into forged lines.
pub fn check_error_answer(aggregator: &str, credentials: &str, text: &str) {
    let retry_after = retry_after_seconds(Some(text));
    assert!(
        (1..=3600).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    for status in STATUSES {
        let response = HttpResponse {
            status,
            location: None,
            retry_after: Some(text.to_owned()),
            body: text.to_owned(),
        };
        let client_error = (400..=499).contains(&status);
        match classify(aggregator, "GET /fuzz", credentials, &response) {
            AggregatorError::RateLimited {
                retry_after_seconds,
            } => {
                assert!(client_error, "{status} is not a rate limit");
                assert!((1..=3600).contains(&retry_after_seconds));
            }
            AggregatorError::Misconfigured { detail } => {
                assert!(client_error && status != 429, "{status} is not ours to fix");
                assert!(
                    detail.chars().all(|c| c.is_ascii_graphic() || c == ' '),
                    "unprintable log detail {detail:?}"
                );
                assert!(detail.len() <= 400, "log detail of {} bytes", detail.len());
                if matches!(status, 401 | 403) {
                    assert!(detail.contains(credentials), "{detail}");
                }
            }
            AggregatorError::GrantExpired => {
                assert!(
                    client_error && !matches!(status, 401 | 403 | 429),
                    "{status}"
                );
            }
            AggregatorError::Unavailable => assert!(!client_error, "{status}"),
            AggregatorError::Internal => panic!("classify reported our own storage failing"),
        }
    }
}
