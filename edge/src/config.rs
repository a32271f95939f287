//! The operator's configuration, parsed once per isolate from the Worker
//! environment into typed fields.
//!
//! Nothing outside this module reads binding names. Parsing takes a lookup
//! function instead of a `worker::Env` so it is tested natively. Secrets are
//! held as values but never printed: errors name the variable, not its value.

use crate::cors::normalize_origin;
use crate::error::ApiError;
use crate::return_url::AllowedReturnUrl;

pub const VAR_AGGREGATOR: &str = "HEALTHLINK_AGGREGATOR";
pub const VAR_ALLOWED_ORIGINS: &str = "HEALTHLINK_ALLOWED_ORIGINS";
pub const VAR_RETURN_URLS: &str = "HEALTHLINK_RETURN_URLS";
pub const VAR_APP_NAME: &str = "HEALTHLINK_APP_NAME";
pub const VAR_UPSTREAM_TIMEOUT_MS: &str = "HEALTHLINK_UPSTREAM_TIMEOUT_MS";
/// Where phone-only sources are connected: a link into the host's mobile app,
/// with `{source}` standing for the source id.
pub const VAR_PHONE_LINK: &str = "HEALTHLINK_PHONE_LINK";
/// How long audit rows are kept, in days (default 400), and how many per
/// user (default 10,000); older rows are pruned, oldest first.
pub const VAR_AUDIT_RETENTION_DAYS: &str = "HEALTHLINK_AUDIT_RETENTION_DAYS";
pub const VAR_AUDIT_MAX_ROWS: &str = "HEALTHLINK_AUDIT_MAX_ROWS";
/// Connect and disconnect attempts per user and minute (default 20).
pub const VAR_ATTEMPTS_PER_MINUTE: &str = "HEALTHLINK_ATTEMPTS_PER_MINUTE";
/// `true` turns on the demo page and its session route (sandbox only).
pub const VAR_DEMO: &str = "HEALTHLINK_DEMO";
/// The host's endpoint for events (Standard Webhooks); unset, no events.
pub const VAR_EVENTS_URL: &str = "HEALTHLINK_EVENTS_URL";
pub const SECRET_EVENTS_SECRET: &str = "HEALTHLINK_EVENTS_SECRET";
/// During a rotation, the secret being replaced: deliveries carry both
/// signatures until it is removed.
pub const SECRET_EVENTS_SECRET_PREVIOUS: &str = "HEALTHLINK_EVENTS_SECRET_PREVIOUS";
/// The time limit of one delivery attempt (ms, at most 15 s).
pub const VAR_EVENTS_TIMEOUT_MS: &str = "HEALTHLINK_EVENTS_TIMEOUT_MS";
/// Test-only: a short retry schedule (ms, comma-separated), accepted only
/// with an endpoint on loopback so no deployment can shorten its retries.
pub const VAR_EVENTS_TEST_SCHEDULE_MS: &str = "HEALTHLINK_EVENTS_TEST_SCHEDULE_MS";
/// How many hours a connected source may send no data before it is stale
/// (default 72).
pub const VAR_STALE_AFTER_HOURS: &str = "HEALTHLINK_STALE_AFTER_HOURS";
/// Test-only: the same in seconds, accepted only with an events endpoint on
/// loopback, so no deployment can flood its host with `connection.stale`.
pub const VAR_STALE_AFTER_TEST_SECONDS: &str = "HEALTHLINK_STALE_AFTER_TEST_SECONDS";
/// The consent text version connect rows record, and the purpose lines the
/// widget shows before a source's connect flow.
pub const VAR_CONSENT_VERSION: &str = "HEALTHLINK_CONSENT_VERSION";
pub const VAR_CONSENT_PURPOSES: &str = "HEALTHLINK_CONSENT_PURPOSES";
/// Pins users' Durable Objects to a jurisdiction (`eu`, `fedramp`, …).
pub const VAR_JURISDICTION: &str = "HEALTHLINK_JURISDICTION";
pub const SECRET_API_KEY: &str = "HEALTHLINK_API_KEY";
pub const SECRET_SIGNING_KEY: &str = "HEALTHLINK_SIGNING_KEY";

pub const VAR_THRYVE_API_BASE: &str = "THRYVE_API_BASE";
pub const VAR_THRYVE_SERVICE_BASE: &str = "THRYVE_SERVICE_BASE";
pub const SECRET_THRYVE_USERNAME: &str = "THRYVE_USERNAME";
pub const SECRET_THRYVE_PASSWORD: &str = "THRYVE_PASSWORD";
pub const SECRET_THRYVE_AUTH_ID: &str = "THRYVE_AUTH_ID";
pub const SECRET_THRYVE_AUTH_SECRET: &str = "THRYVE_AUTH_SECRET";
pub const SECRET_THRYVE_WEBHOOK_SECRET: &str = "THRYVE_WEBHOOK_SECRET";
/// During a rotation: the secret being replaced, still accepted.
pub const SECRET_THRYVE_WEBHOOK_SECRET_PREVIOUS: &str = "THRYVE_WEBHOOK_SECRET_PREVIOUS";

pub const VAR_ROOK_API_BASE: &str = "ROOK_API_BASE";
pub const SECRET_ROOK_CLIENT_UUID: &str = "ROOK_CLIENT_UUID";
pub const SECRET_ROOK_SECRET_KEY: &str = "ROOK_SECRET_KEY";
pub const SECRET_ROOK_WEBHOOK_SECRET: &str = "ROOK_WEBHOOK_SECRET";
/// During a rotation: the secret being replaced, still accepted.
pub const SECRET_ROOK_WEBHOOK_SECRET_PREVIOUS: &str = "ROOK_WEBHOOK_SECRET_PREVIOUS";

const DEFAULT_THRYVE_API_BASE: &str = "https://api.thryve.de";
const DEFAULT_THRYVE_SERVICE_BASE: &str = "https://service2.und-gesund.de";
/// ROOK's sandbox host: an operator moves to production
/// (`https://api.rook-connect.com`) deliberately, with production credentials.
const DEFAULT_ROOK_API_BASE: &str = "https://api.rook-connect.review";

/// Shortest accepted secrets, in bytes. Short keys are guessable.
const MIN_API_KEY_LEN: usize = 24;
const MIN_SIGNING_KEY_LEN: usize = 32;
const MIN_WEBHOOK_SECRET_LEN: usize = 24;

/// Upper bound (and default) for one upstream call, in milliseconds.
pub const MAX_UPSTREAM_TIMEOUT_MS: u32 = 10_000;

/// Which aggregator the edge talks to, with what it needs to do so.
#[derive(Clone, PartialEq, Eq)]
pub enum AggregatorConfig {
    /// Built into the edge; needs no account and no aggregator secrets.
    Sandbox,
    Thryve(ThryveConfig),
    Rook(RookConfig),
}

impl AggregatorConfig {
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
            Self::Thryve(_) => "thryve",
            Self::Rook(_) => "rook",
        }
    }
}

impl std::fmt::Debug for AggregatorConfig {
    // Names only: the variants hold credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct ThryveConfig {
    /// `https://api.thryve.de`, without a trailing slash.
    pub api_base: String,
    /// The host of the direct connect/revoke pages, without a trailing slash.
    pub service_base: String,
    pub username: String,
    pub password: String,
    pub auth_id: String,
    pub auth_secret: String,
    /// What Thryve sends (as a Bearer token) with each webhook.
    pub webhook_secret: String,
    /// The secret being rotated out, accepted too while it is set.
    pub previous_webhook_secret: Option<String>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct RookConfig {
    /// `https://api.rook-connect.review`, without a trailing slash.
    pub api_base: String,
    pub client_uuid: String,
    pub secret_key: String,
    /// What ROOK sends (as a Bearer token) with each webhook.
    pub webhook_secret: String,
    /// The secret being rotated out, accepted too while it is set.
    pub previous_webhook_secret: Option<String>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    pub aggregator: AggregatorConfig,
    /// Where and how events go to the host's backend, when configured.
    pub events: Option<EventsConfig>,
    /// Normalised origins (`scheme://host[:port]`) allowed to embed the widget.
    pub allowed_origins: Vec<String>,
    /// Where browsers may be sent back to after a redirect flow.
    pub return_urls: Vec<AllowedReturnUrl>,
    /// The host app's name, shown on consent pages ("<app> asks to …").
    pub app_name: String,
    /// The time limit of one upstream call.
    pub upstream_timeout_ms: u32,
    /// Deep link into the host's mobile app for phone-only sources, with
    /// `{source}` for the source id; the widget shows it as a QR code.
    pub phone_link: Option<String>,
    /// Connect and disconnect attempts one user may make per minute.
    pub attempts_per_minute: u32,
    /// How long, and how much, of each user's audit trail is kept.
    pub audit_retention: crate::user_state::AuditRetention,
    /// How long a connected source may send no data before it is stale.
    pub stale_after_ms: i64,
    /// The demo page and its keyless session route (only ever with the
    /// sandbox; see [`Config::demo_enabled`]).
    pub demo: bool,
    /// The consent text users are shown, as far as the edge knows it.
    pub consent: crate::consent::ConsentText,
    /// Where users' state is stored (`None`: anywhere).
    pub jurisdiction: Option<crate::residency::Jurisdiction>,
    /// Bearer key of the host's backend for the server-to-server API.
    pub api_key: String,
    /// HMAC key for session tokens and return states.
    pub signing_key: String,
}

impl std::fmt::Debug for Config {
    // Hand-written so that a debug print can never show a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("aggregator", &self.aggregator)
            .field("events", &self.events)
            .field("allowed_origins", &self.allowed_origins)
            .field("return_urls", &self.return_urls)
            .field("app_name", &self.app_name)
            .field("upstream_timeout_ms", &self.upstream_timeout_ms)
            .field("phone_link", &self.phone_link)
            .field("stale_after_ms", &self.stale_after_ms)
            .field("demo", &self.demo)
            .field("consent", &self.consent)
            .field("jurisdiction", &self.jurisdiction)
            .finish_non_exhaustive()
    }
}

/// Events to the host's backend. Not `Debug`: it holds the signing keys.
#[derive(Clone, PartialEq, Eq)]
pub struct EventsConfig {
    pub url: String,
    /// The current key first; the previous one during a rotation.
    pub keys: Vec<Vec<u8>>,
    /// Waits after each failed attempt ([`crate::events::DEFAULT_SCHEDULE_MS`]).
    pub schedule_ms: Vec<i64>,
    pub timeout_ms: u32,
}

impl std::fmt::Debug for EventsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventsConfig")
            .field("endpoint", &crate::events::endpoint_key(&self.url))
            .field("keys", &self.keys.len())
            .field("schedule_ms", &self.schedule_ms)
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// Everything wrong with the configuration, one sentence per problem, each
/// naming the variable to fix. Never contains a secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The aggregator that was asked for, when that much could be read.
    pub aggregator: Option<&'static str>,
    pub problems: Vec<String>,
}

impl ConfigError {
    pub fn message(&self) -> String {
        self.problems.join(" ")
    }
}

impl From<ConfigError> for ApiError {
    fn from(error: ConfigError) -> Self {
        ApiError::Misconfigured {
            detail: error.message(),
        }
    }
}

/// Reads variables and collects every problem instead of stopping at the
/// first, so an operator fixes the configuration in one round.
struct Reader<L> {
    lookup: L,
    problems: Vec<String>,
}

impl<L: Fn(&str) -> Option<String>> Reader<L> {
    /// `HEALTHLINK_CONSENT_VERSION` and `HEALTHLINK_CONSENT_PURPOSES`.
    fn consent(&mut self) -> crate::consent::ConsentText {
        let version = match (self.lookup)(VAR_CONSENT_VERSION)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
        {
            None => None,
            Some(value) => {
                let parsed = crate::consent::parse_version(&value);
                if parsed.is_none() {
                    self.problem(format!(
                        "{VAR_CONSENT_VERSION} must be 1 to {} characters of A-Z a-z 0-9 . _ : + - \
                         (e.g. 2026-11 or v3.1).",
                        crate::consent::MAX_VERSION_CHARS
                    ));
                }
                parsed
            }
        };
        let purposes = match (self.lookup)(VAR_CONSENT_PURPOSES)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
        {
            None => Default::default(),
            Some(value) => match crate::consent::parse_purposes(&value) {
                Ok(purposes) => purposes,
                Err(problems) => {
                    for problem in problems {
                        self.problem(format!("{VAR_CONSENT_PURPOSES} {problem}."));
                    }
                    Default::default()
                }
            },
        };
        if !purposes.is_empty() && version.is_none() {
            self.problem(format!(
                "{VAR_CONSENT_PURPOSES} is set but {VAR_CONSENT_VERSION} is not; set a version, \
                 so the audit trail says which text each user was shown."
            ));
        }
        crate::consent::ConsentText { version, purposes }
    }

    fn problem(&mut self, problem: String) {
        self.problems.push(problem);
    }

    fn list(&self, name: &str) -> Vec<String> {
        (self.lookup)(name)
            .unwrap_or_default()
            .split([',', ' ', '\n', '\t'])
            .filter(|entry| !entry.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// A required secret of at least `min_len` bytes.
    fn secret(&mut self, name: &str, min_len: usize) -> String {
        match (self.lookup)(name) {
            Some(value) if !value.is_empty() && value.len() >= min_len => return value,
            Some(value) if !value.is_empty() => self.problem(format!(
                "{name} is too short; use at least {min_len} random characters \
                 (e.g. `openssl rand -hex 32`)."
            )),
            _ => self.problem(format!(
                "{name} is not set. Set it with `wrangler secret put {name}` \
                 (locally: a line in .dev.vars)."
            )),
        }
        String::new()
    }

    /// An optional whole number within `range`, `default` when unset.
    fn number(&mut self, name: &str, range: std::ops::RangeInclusive<u32>, default: u32) -> u32 {
        let Some(value) = (self.lookup)(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
        else {
            return default;
        };
        match value.parse::<u32>() {
            Ok(number) if range.contains(&number) => number,
            _ => {
                self.problem(format!(
                    "{name} must be a number from {} to {}.",
                    range.start(),
                    range.end()
                ));
                default
            }
        }
    }

    /// An optional secret: absent or empty is `None`; present, it must be
    /// as long as a required one.
    fn optional_secret(&mut self, name: &str, min_len: usize) -> Option<String> {
        match (self.lookup)(name) {
            None => None,
            Some(value) if value.is_empty() => None,
            Some(_) => Some(self.secret(name, min_len)).filter(|value| !value.is_empty()),
        }
    }

    /// An aggregator's base URL: https, or http on loopback only (tests and
    /// local emulators) so credentials never cross a network in the clear.
    fn base_url(&mut self, name: &str, default: &str) -> String {
        let value = (self.lookup)(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
            .unwrap_or_else(|| default.to_owned());
        match parse_base_url(&value) {
            Some(base) => base,
            None => {
                self.problem(format!(
                    "{name} is not a base URL like https://api.example.com \
                     (https, or http on 127.0.0.1/localhost; no query, fragment or credentials)."
                ));
                String::new()
            }
        }
    }
}

impl<L: Fn(&str) -> Option<String>> Reader<L> {
    /// The events endpoint and its secrets: all or nothing, so an edge
    /// never signs with a missing key or sends to a half-set endpoint.
    fn events(&mut self) -> Option<EventsConfig> {
        let value = |name| {
            (self.lookup)(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let (url, secret, previous, schedule) = (
            value(VAR_EVENTS_URL),
            value(SECRET_EVENTS_SECRET),
            value(SECRET_EVENTS_SECRET_PREVIOUS),
            value(VAR_EVENTS_TEST_SCHEDULE_MS),
        );
        let timeout_ms = self.number(
            VAR_EVENTS_TIMEOUT_MS,
            100..=crate::events::MAX_TIMEOUT_MS,
            crate::events::MAX_TIMEOUT_MS,
        );
        let Some(url) = url else {
            if secret.is_some() || previous.is_some() || schedule.is_some() {
                self.problem(format!(
                    "{SECRET_EVENTS_SECRET} (or another events setting) is set but {VAR_EVENTS_URL} is not; set the host's endpoint, or remove the events settings."
                ));
            }
            return None;
        };
        let Some(parsed) = url::Url::parse(&url).ok().filter(|parsed| {
            (parsed.scheme() == "https" || (parsed.scheme() == "http" && is_loopback(parsed)))
                && parsed.host_str().is_some()
                && parsed.username().is_empty()
                && parsed.password().is_none()
                && parsed.fragment().is_none()
        }) else {
            self.problem(format!(
                "{VAR_EVENTS_URL} is not an endpoint like https://api.example.com/healthlink-events (https, or http on 127.0.0.1/localhost only; no credentials or fragment)."
            ));
            return None;
        };
        let loopback = is_loopback(&parsed);
        let mut keys = Vec::new();
        for (name, secret) in [
            (SECRET_EVENTS_SECRET, secret.clone()),
            (SECRET_EVENTS_SECRET_PREVIOUS, previous),
        ] {
            match secret.as_deref().map(crate::events::parse_secret) {
                Some(Some(key)) => keys.push(key),
                Some(None) => self.problem(format!(
                    "{name} is not a Standard Webhooks secret: `whsec_` followed by the base64 of {} to {} random bytes (e.g. `echo whsec_$(openssl rand -base64 32)`).",
                    crate::events::MIN_KEY_BYTES,
                    crate::events::MAX_KEY_BYTES
                )),
                None if name == SECRET_EVENTS_SECRET => self.problem(format!(
                    "{VAR_EVENTS_URL} is set but {name} is not. Set it with `wrangler secret put {name}` (locally: a line in .dev.vars)."
                )),
                None => {}
            }
        }
        let schedule_ms = match schedule {
            None => crate::events::DEFAULT_SCHEDULE_MS.to_vec(),
            Some(_) if !loopback => {
                self.problem(format!(
                    "{VAR_EVENTS_TEST_SCHEDULE_MS} is for tests against a loopback endpoint only; remove it."
                ));
                Vec::new()
            }
            Some(list) => {
                let parsed: Option<Vec<i64>> = list
                    .split(',')
                    .map(|wait| wait.trim().parse().ok().filter(|wait| *wait > 0))
                    .collect();
                parsed.filter(|waits| !waits.is_empty()).unwrap_or_else(|| {
                    self.problem(format!(
                        "{VAR_EVENTS_TEST_SCHEDULE_MS} must be positive milliseconds, comma-separated."
                    ));
                    Vec::new()
                })
            }
        };
        // With any problem above, the whole configuration is refused.
        Some(EventsConfig {
            url,
            keys,
            schedule_ms,
            timeout_ms,
        })
    }
}

impl<L: Fn(&str) -> Option<String>> Reader<L> {
    /// The staleness threshold: hours, or (tests, with events to a
    /// loopback endpoint only) seconds.
    fn stale_after_ms(&mut self, events: Option<&EventsConfig>) -> i64 {
        let hours = self.number(
            VAR_STALE_AFTER_HOURS,
            1..=2160,
            crate::freshness::DEFAULT_STALE_AFTER_HOURS,
        );
        let testing = (self.lookup)(VAR_STALE_AFTER_TEST_SECONDS)
            .is_some_and(|value| !value.trim().is_empty());
        if !testing {
            return i64::from(hours) * 3_600_000;
        }
        let loopback = events
            .and_then(|events| url::Url::parse(&events.url).ok())
            .is_some_and(|url| is_loopback(&url));
        if !loopback {
            self.problem(format!(
                "{VAR_STALE_AFTER_TEST_SECONDS} is for tests with {VAR_EVENTS_URL} on a \
                 loopback endpoint only; remove it (use {VAR_STALE_AFTER_HOURS})."
            ));
        }
        i64::from(self.number(VAR_STALE_AFTER_TEST_SECONDS, 1..=3600, 1)) * 1000
    }
}

/// Whether `url` is on this machine: where tests and local emulators run.
fn is_loopback(url: &url::Url) -> bool {
    matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

fn parse_base_url(value: &str) -> Option<String> {
    let url = url::Url::parse(value).ok()?;
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url));
    let plain = url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    (scheme_ok && plain && url.host_str().is_some())
        .then(|| url.as_str().trim_end_matches('/').to_owned())
}

/// A phone link must open the host's app or web page, never run script:
/// `https:` (universal / app links) or a custom app scheme, with a host or
/// path and no credentials. The QR code shows whatever is configured, so the
/// check is strict.
fn phone_link_ok(template: &str) -> bool {
    let Ok(url) = url::Url::parse(&template.replace("{source}", "apple_health")) else {
        return false;
    };
    let forbidden = [
        "http",
        "javascript",
        "data",
        "vbscript",
        "file",
        "blob",
        "about",
        "ftp",
        "ws",
        "wss",
    ];
    let scheme_ok = url.scheme() == "https" || !forbidden.contains(&url.scheme());
    let target = url.host_str().is_some() || !url.path().trim_matches('/').is_empty();
    scheme_ok
        && target
        && url.username().is_empty()
        && url.password().is_none()
        && (url.scheme() != "https" || url.host_str().is_some())
}

impl Config {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut reader = Reader {
            lookup,
            problems: Vec::new(),
        };
        let requested = (reader.lookup)(VAR_AGGREGATOR).map(|value| value.trim().to_owned());
        let aggregator = match requested.as_deref() {
            // No default: an edge deployed without a choice must not come up
            // as the sandbox, which takes the browser's word for everything.
            None | Some("") => {
                reader.problem(format!(
                    "{VAR_AGGREGATOR} is not set; use \"thryve\" or \"rook\" \
                     (or \"sandbox\" for local development)."
                ));
                None
            }
            Some("sandbox") => Some(AggregatorConfig::Sandbox),
            Some("thryve") => Some(AggregatorConfig::Thryve(ThryveConfig {
                api_base: reader.base_url(VAR_THRYVE_API_BASE, DEFAULT_THRYVE_API_BASE),
                service_base: reader.base_url(VAR_THRYVE_SERVICE_BASE, DEFAULT_THRYVE_SERVICE_BASE),
                username: reader.secret(SECRET_THRYVE_USERNAME, 1),
                password: reader.secret(SECRET_THRYVE_PASSWORD, 1),
                auth_id: reader.secret(SECRET_THRYVE_AUTH_ID, 1),
                auth_secret: reader.secret(SECRET_THRYVE_AUTH_SECRET, 1),
                webhook_secret: reader.secret(SECRET_THRYVE_WEBHOOK_SECRET, MIN_WEBHOOK_SECRET_LEN),
                previous_webhook_secret: reader.optional_secret(
                    SECRET_THRYVE_WEBHOOK_SECRET_PREVIOUS,
                    MIN_WEBHOOK_SECRET_LEN,
                ),
            })),
            Some("rook") => Some(AggregatorConfig::Rook(RookConfig {
                api_base: reader.base_url(VAR_ROOK_API_BASE, DEFAULT_ROOK_API_BASE),
                client_uuid: reader.secret(SECRET_ROOK_CLIENT_UUID, 1),
                secret_key: reader.secret(SECRET_ROOK_SECRET_KEY, 1),
                webhook_secret: reader.secret(SECRET_ROOK_WEBHOOK_SECRET, MIN_WEBHOOK_SECRET_LEN),
                previous_webhook_secret: reader
                    .optional_secret(SECRET_ROOK_WEBHOOK_SECRET_PREVIOUS, MIN_WEBHOOK_SECRET_LEN),
            })),
            Some(_) => {
                reader.problem(format!(
                    "{VAR_AGGREGATOR} names no aggregator this edge knows; use \"thryve\", \
                     \"rook\" or \"sandbox\"."
                ));
                None
            }
        };
        let mut allowed_origins = Vec::new();
        for (position, entry) in reader.list(VAR_ALLOWED_ORIGINS).iter().enumerate() {
            match normalize_origin(entry) {
                Some(origin) => allowed_origins.push(origin),
                None => reader.problem(format!(
                    "Entry {} of {VAR_ALLOWED_ORIGINS} is not an origin like \
                     https://app.example.com (scheme, host and optional port; no path).",
                    position + 1
                )),
            }
        }
        let mut return_urls = Vec::new();
        for (position, entry) in reader.list(VAR_RETURN_URLS).iter().enumerate() {
            match AllowedReturnUrl::parse(entry) {
                Some(url) => return_urls.push(url),
                None => reader.problem(format!(
                    "Entry {} of {VAR_RETURN_URLS} is neither a plain http(s) URL like \
                     https://app.example.com/settings nor an app link like acme://connected \
                     (no wildcards, query or fragment).",
                    position + 1
                )),
            }
        }
        let app_name = (reader.lookup)(VAR_APP_NAME)
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "This app".to_owned());
        let upstream_timeout_ms = match (reader.lookup)(VAR_UPSTREAM_TIMEOUT_MS)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
        {
            None => MAX_UPSTREAM_TIMEOUT_MS,
            Some(value) => match value.parse::<u32>() {
                Ok(ms) if (100..=MAX_UPSTREAM_TIMEOUT_MS).contains(&ms) => ms,
                _ => {
                    reader.problem(format!(
                        "{VAR_UPSTREAM_TIMEOUT_MS} must be milliseconds from 100 to \
                         {MAX_UPSTREAM_TIMEOUT_MS}."
                    ));
                    MAX_UPSTREAM_TIMEOUT_MS
                }
            },
        };
        let phone_link = (reader.lookup)(VAR_PHONE_LINK)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
            .and_then(|value| {
                if phone_link_ok(&value) {
                    return Some(value);
                }
                reader.problem(format!(
                    "{VAR_PHONE_LINK} is not a link the widget may show; use an https:// link \
                     or an app link like myapp://connect/{{source}} ({{source}} is replaced by \
                     the source id)."
                ));
                None
            });
        let demo = match (reader.lookup)(VAR_DEMO)
            .map(|value| value.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("" | "false" | "0") => false,
            Some("true" | "1") => true,
            Some(_) => {
                reader.problem(format!("{VAR_DEMO} must be true or false."));
                false
            }
        };
        if demo && !matches!(aggregator, Some(AggregatorConfig::Sandbox) | None) {
            reader.problem(format!(
                "{VAR_DEMO} is on, but the demo runs only on the sandbox; unset {VAR_DEMO} \
                 on an edge that talks to a real aggregator."
            ));
        }
        let attempts_per_minute = reader.number(
            VAR_ATTEMPTS_PER_MINUTE,
            1..=100_000,
            crate::user_state::ATTEMPTS_PER_WINDOW,
        );
        let defaults = crate::user_state::AuditRetention::default();
        let audit_retention = crate::user_state::AuditRetention {
            max_age_ms: i64::from(reader.number(
                VAR_AUDIT_RETENTION_DAYS,
                1..=3650,
                u32::try_from(defaults.max_age_ms / 86_400_000).unwrap_or(400),
            )) * 86_400_000,
            max_rows: reader.number(VAR_AUDIT_MAX_ROWS, 100..=1_000_000, defaults.max_rows),
        };
        let consent = reader.consent();
        let jurisdiction = match crate::residency::Jurisdiction::parse(
            (reader.lookup)(VAR_JURISDICTION).as_deref(),
        ) {
            Ok(jurisdiction) => jurisdiction,
            Err(crate::residency::UnknownJurisdiction) => {
                reader.problem(format!(
                    "{VAR_JURISDICTION} names no Durable Object jurisdiction; use \"eu\", \
                     \"fedramp\" or \"fedramp-high\", or leave it unset to store anywhere."
                ));
                None
            }
        };
        let events = reader.events();
        let stale_after_ms = reader.stale_after_ms(events.as_ref());
        let api_key = reader.secret(SECRET_API_KEY, MIN_API_KEY_LEN);
        let signing_key = reader.secret(SECRET_SIGNING_KEY, MIN_SIGNING_KEY_LEN);
        match aggregator {
            Some(aggregator) if reader.problems.is_empty() => Ok(Self {
                aggregator,
                events,
                allowed_origins,
                return_urls,
                app_name,
                upstream_timeout_ms,
                phone_link,
                attempts_per_minute,
                audit_retention,
                stale_after_ms,
                demo,
                consent,
                jurisdiction,
                api_key,
                signing_key,
            }),
            aggregator => Err(ConfigError {
                aggregator: aggregator.map(|aggregator| aggregator.name()),
                problems: reader.problems,
            }),
        }
    }

    /// Whether the demo page and its session route are served: only when
    /// asked for, and only with the sandbox. The route mints sessions
    /// without the API key, for a fixed demo user.
    pub fn demo_enabled(&self) -> bool {
        self.demo && self.aggregator == AggregatorConfig::Sandbox
    }

    /// Whether the sandbox's consent page is served: only when the sandbox
    /// is the aggregator (its Allow button is taken at its word).
    pub fn sandbox_enabled(&self) -> bool {
        self.aggregator == AggregatorConfig::Sandbox
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    pub const TEST_API_KEY: &str = "test-api-key-0123456789abcdef";
    pub const TEST_SIGNING_KEY: &str = "test-signing-key-0123456789abcdef0123456789";

    /// Parses `pairs` plus the two keys, with the sandbox unless `pairs`
    /// chooses (or unsets, with an empty value) the aggregator.
    pub fn parse(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
                .or_else(|| match name {
                    SECRET_API_KEY => Some(TEST_API_KEY.to_owned()),
                    SECRET_SIGNING_KEY => Some(TEST_SIGNING_KEY.to_owned()),
                    VAR_AGGREGATOR => Some("sandbox".to_owned()),
                    _ => None,
                })
        })
    }

    /// What the test aggregators expect as their webhooks' Bearer secret.
    pub const TEST_WEBHOOK_SECRET: &str = "fake-webhook-secret-for-unit-tests";

    /// Thryve on hosts of its own that tests script.
    pub fn test_thryve_config() -> ThryveConfig {
        ThryveConfig {
            api_base: "https://api.thryve.test".into(),
            service_base: "https://service.thryve.test".into(),
            username: "user".into(),
            password: "pass".into(),
            auth_id: "app".into(),
            auth_secret: "appsecret".into(),
            webhook_secret: TEST_WEBHOOK_SECRET.into(),
            previous_webhook_secret: None,
        }
    }

    /// ROOK on a host of its own that tests script.
    pub fn test_rook_config() -> RookConfig {
        RookConfig {
            api_base: "https://api.rook.test".into(),
            client_uuid: "client".into(),
            secret_key: "secret".into(),
            webhook_secret: TEST_WEBHOOK_SECRET.into(),
            previous_webhook_secret: None,
        }
    }

    /// A config as the tests of other modules use it.
    pub fn test_config() -> Config {
        parse(&[
            (VAR_ALLOWED_ORIGINS, "https://app.example.com"),
            (VAR_RETURN_URLS, "https://app.example.com/settings"),
            (VAR_APP_NAME, "Acme Health"),
            (VAR_DEMO, "true"),
        ])
        .unwrap()
    }

    pub const TEST_EVENTS_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn events_need_an_endpoint_and_a_standard_secret() {
        assert_eq!(parse(&[]).unwrap().events, None);
        let events = parse(&[
            (VAR_EVENTS_URL, "https://api.example.com/events"),
            (SECRET_EVENTS_SECRET, TEST_EVENTS_SECRET),
        ])
        .unwrap()
        .events
        .unwrap();
        assert_eq!(events.keys.len(), 1);
        assert_eq!(events.schedule_ms, crate::events::DEFAULT_SCHEDULE_MS);
        assert_eq!(events.timeout_ms, crate::events::MAX_TIMEOUT_MS);
        let debug = format!("{events:?}");
        assert!(
            !debug.contains("api.example.com") && !debug.contains("MfKQ"),
            "{debug}"
        );
        // Rotation: both keys, the current one first.
        let rotating = parse(&[
            (VAR_EVENTS_URL, "https://api.example.com/events"),
            (SECRET_EVENTS_SECRET, TEST_EVENTS_SECRET),
            (
                SECRET_EVENTS_SECRET_PREVIOUS,
                "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            ),
        ])
        .unwrap()
        .events
        .unwrap();
        assert_eq!(rotating.keys.len(), 2);
        assert_eq!(rotating.keys[0], events.keys[0]);
        for (settings, named) in [
            (
                vec![(VAR_EVENTS_URL, "https://api.example.com/e")],
                SECRET_EVENTS_SECRET,
            ),
            (
                vec![(SECRET_EVENTS_SECRET, TEST_EVENTS_SECRET)],
                VAR_EVENTS_URL,
            ),
            (
                vec![
                    (VAR_EVENTS_URL, "http://api.example.com/e"),
                    (SECRET_EVENTS_SECRET, TEST_EVENTS_SECRET),
                ],
                VAR_EVENTS_URL,
            ),
            (
                vec![
                    (VAR_EVENTS_URL, "https://api.example.com/e"),
                    (SECRET_EVENTS_SECRET, "not-a-whsec-secret-but-long-enough"),
                ],
                SECRET_EVENTS_SECRET,
            ),
            (
                vec![
                    (VAR_EVENTS_URL, "https://api.example.com/e"),
                    (SECRET_EVENTS_SECRET, TEST_EVENTS_SECRET),
                    (VAR_EVENTS_TEST_SCHEDULE_MS, "10,20"),
                ],
                VAR_EVENTS_TEST_SCHEDULE_MS,
            ),
            (
                vec![
                    (VAR_EVENTS_URL, "https://api.example.com/e"),
                    (SECRET_EVENTS_SECRET, TEST_EVENTS_SECRET),
                    (VAR_EVENTS_TIMEOUT_MS, "60000"),
                ],
                VAR_EVENTS_TIMEOUT_MS,
            ),
        ] {
            let error = parse(&settings).unwrap_err().message();
            assert!(error.contains(named), "{settings:?}: {error}");
            assert!(
                !error.contains("MfKQ") && !error.contains("not-a-whsec"),
                "{error}"
            );
            assert!(!error.contains("  "), "one sentence, one space: {error:?}");
        }
        // Loopback endpoints may be http and take a short test schedule.
        let local = parse(&[
            (VAR_EVENTS_URL, "http://127.0.0.1:9999/hook"),
            (SECRET_EVENTS_SECRET, TEST_EVENTS_SECRET),
            (VAR_EVENTS_TEST_SCHEDULE_MS, "100, 200,400"),
            (VAR_EVENTS_TIMEOUT_MS, "1500"),
        ])
        .unwrap()
        .events
        .unwrap();
        assert_eq!(local.schedule_ms, [100, 200, 400]);
        assert_eq!(local.timeout_ms, 1500);
    }

    #[test]
    fn staleness_is_hours_and_seconds_only_for_tests_on_loopback() {
        let stale_after = |pairs: &[(&str, &str)]| parse(pairs).map(|c| c.stale_after_ms);
        assert_eq!(stale_after(&[]), Ok(72 * 3_600_000));
        assert_eq!(
            stale_after(&[(VAR_STALE_AFTER_HOURS, " 24 ")]),
            Ok(24 * 3_600_000)
        );
        for bad in ["0", "2161", "1.5", "a day"] {
            let error = parse(&[(VAR_STALE_AFTER_HOURS, bad)])
                .unwrap_err()
                .message();
            assert!(error.contains(VAR_STALE_AFTER_HOURS), "{bad}: {error}");
        }
        let loopback = [
            (VAR_EVENTS_URL, "http://127.0.0.1:9999/hook"),
            (SECRET_EVENTS_SECRET, TEST_EVENTS_SECRET),
            (VAR_STALE_AFTER_TEST_SECONDS, "4"),
        ];
        assert_eq!(stale_after(&loopback), Ok(4_000));
        // Anywhere else it is refused: without events, or with a real host.
        for pairs in [
            vec![(VAR_STALE_AFTER_TEST_SECONDS, "4")],
            vec![
                (VAR_EVENTS_URL, "https://api.example.com/events"),
                (SECRET_EVENTS_SECRET, TEST_EVENTS_SECRET),
                (VAR_STALE_AFTER_TEST_SECONDS, "4"),
            ],
        ] {
            let error = parse(&pairs).unwrap_err().message();
            assert!(error.contains(VAR_STALE_AFTER_TEST_SECONDS), "{error}");
        }
        let mut zero = loopback.to_vec();
        zero[2].1 = "0";
        let error = parse(&zero).unwrap_err().message();
        assert!(error.contains(VAR_STALE_AFTER_TEST_SECONDS), "{error}");
    }

    #[test]
    fn the_sandbox_has_no_origins_and_no_demo_unless_asked() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.aggregator, AggregatorConfig::Sandbox);
        assert_eq!(config.upstream_timeout_ms, MAX_UPSTREAM_TIMEOUT_MS);
        assert!(config.allowed_origins.is_empty() && config.return_urls.is_empty());
        assert_eq!(config.app_name, "This app");
        assert!(config.sandbox_enabled());
        assert!(!config.demo_enabled(), "the demo is off unless asked for");
        for on in ["true", "1", " TRUE "] {
            assert!(parse(&[(VAR_DEMO, on)]).unwrap().demo_enabled(), "{on:?}");
        }
        for off in ["false", "0", ""] {
            assert!(
                !parse(&[(VAR_DEMO, off)]).unwrap().demo_enabled(),
                "{off:?}"
            );
        }
        let error = parse(&[(VAR_DEMO, "yes please")]).unwrap_err().message();
        assert!(
            error.contains(VAR_DEMO) && !error.contains("please"),
            "{error}"
        );
    }

    #[test]
    fn no_aggregator_is_a_misconfiguration_never_the_sandbox() {
        let unset = Config::from_lookup(|name| match name {
            SECRET_API_KEY => Some(TEST_API_KEY.to_owned()),
            SECRET_SIGNING_KEY => Some(TEST_SIGNING_KEY.to_owned()),
            _ => None,
        })
        .unwrap_err();
        assert_eq!(unset.aggregator, None);
        assert!(
            unset.message().contains(VAR_AGGREGATOR),
            "{}",
            unset.message()
        );
        for value in ["", "  "] {
            let error = parse(&[(VAR_AGGREGATOR, value)]).unwrap_err();
            assert!(
                error.message().contains("is not set"),
                "{}",
                error.message()
            );
        }
        let unknown = parse(&[(VAR_AGGREGATOR, "terra-secret-name")]).unwrap_err();
        assert!(
            !unknown.message().contains("terra"),
            "{}",
            unknown.message()
        );
    }

    #[test]
    fn the_demo_never_runs_on_a_real_aggregator() {
        let mut pairs = vec![(VAR_AGGREGATOR, "thryve"), (VAR_DEMO, "true")];
        pairs.extend(THRYVE_SECRETS);
        let error = parse(&pairs).unwrap_err();
        assert_eq!(error.aggregator, Some("thryve"));
        assert!(error.message().contains(VAR_DEMO), "{}", error.message());
        pairs.retain(|(name, _)| *name != VAR_DEMO);
        let config = parse(&pairs).unwrap();
        assert!(!config.demo_enabled() && !config.sandbox_enabled());
    }

    #[test]
    fn problems_name_the_variable_and_never_echo_its_value() {
        let error = parse(&[
            (VAR_THRYVE_API_BASE, "https://user:hunter2@api.example"),
            (VAR_AGGREGATOR, "thryve"),
            (
                VAR_ALLOWED_ORIGINS,
                "https://ok.example, https://a.example/secret-path",
            ),
            (VAR_RETURN_URLS, "https://app.example/*private*"),
            (VAR_UPSTREAM_TIMEOUT_MS, "999999-token"),
            (VAR_PHONE_LINK, "javascript:alert('pwned')"),
        ])
        .unwrap_err()
        .message();
        for name in [
            VAR_THRYVE_API_BASE,
            VAR_ALLOWED_ORIGINS,
            VAR_RETURN_URLS,
            VAR_UPSTREAM_TIMEOUT_MS,
            VAR_PHONE_LINK,
        ] {
            assert!(error.contains(name), "{name}: {error}");
        }
        for value in ["hunter2", "secret-path", "private", "999999", "pwned"] {
            assert!(!error.contains(value), "{value} echoed: {error}");
        }
        assert!(error.contains("Entry 2 of"), "{error}");
    }

    #[test]
    fn origins_are_split_and_normalised() {
        let config = parse(&[(
            VAR_ALLOWED_ORIGINS,
            "https://App.Example.com, http://127.0.0.1:8080\nhttps://b.example",
        )])
        .unwrap();
        assert_eq!(
            config.allowed_origins,
            [
                "https://app.example.com",
                "http://127.0.0.1:8080",
                "https://b.example"
            ]
        );
    }

    #[test]
    fn consent_text_and_jurisdiction_are_read_and_bad_values_refused() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.consent, crate::consent::ConsentText::default());
        assert_eq!(config.jurisdiction, None);

        let config = parse(&[
            (VAR_CONSENT_VERSION, " 2026-12 "),
            (
                VAR_CONSENT_PURPOSES,
                r#"{"oura": "Sleep and readiness, to tailor your plan."}"#,
            ),
            (VAR_JURISDICTION, "eu"),
        ])
        .unwrap();
        assert_eq!(config.consent.version(), Some("2026-12".to_owned()));
        assert_eq!(
            config.consent.purpose("oura"),
            Some("Sleep and readiness, to tailor your plan.")
        );
        assert_eq!(config.consent.purpose("fitbit"), None);
        assert_eq!(
            config.jurisdiction,
            Some(crate::residency::Jurisdiction::Eu)
        );
        assert_eq!(
            parse(&[(VAR_JURISDICTION, "fedramp-high")])
                .unwrap()
                .jurisdiction,
            Some(crate::residency::Jurisdiction::FedRampHigh)
        );

        let message = |pairs: &[(&str, &str)]| parse(pairs).unwrap_err().message();
        let error = message(&[(VAR_JURISDICTION, "europe")]);
        assert!(error.contains(VAR_JURISDICTION), "{error}");
        assert!(error.contains("\"eu\""), "{error}");
        let error = message(&[(VAR_CONSENT_VERSION, "version two")]);
        assert!(error.contains(VAR_CONSENT_VERSION), "{error}");
        // Purposes without a version would show a text no row can name.
        let error = message(&[(VAR_CONSENT_PURPOSES, r#"{"oura": "Sleep."}"#)]);
        assert!(error.contains(VAR_CONSENT_PURPOSES), "{error}");
        assert!(error.contains(VAR_CONSENT_VERSION), "{error}");
        let error = message(&[
            (VAR_CONSENT_VERSION, "v1"),
            (VAR_CONSENT_PURPOSES, r#"{"myspace": "Friends."}"#),
        ]);
        assert!(error.contains("myspace"), "{error}");
    }

    #[test]
    fn bad_values_name_the_variable_and_never_the_secret() {
        let message = |pairs: &[(&str, &str)]| parse(pairs).unwrap_err().message();
        let error = message(&[(VAR_ALLOWED_ORIGINS, "https://a.example/path")]);
        assert!(error.contains(VAR_ALLOWED_ORIGINS), "{error}");
        let error = message(&[(VAR_AGGREGATOR, "acme")]);
        assert!(error.contains(VAR_AGGREGATOR), "{error}");
        let error = message(&[(VAR_RETURN_URLS, "https://*.example.com/")]);
        assert!(error.contains(VAR_RETURN_URLS), "{error}");
        let error = message(&[(VAR_UPSTREAM_TIMEOUT_MS, "60000")]);
        assert!(error.contains(VAR_UPSTREAM_TIMEOUT_MS), "{error}");

        let missing = Config::from_lookup(|_| None).unwrap_err().message();
        assert!(missing.contains(SECRET_API_KEY), "{missing}");
        assert!(missing.contains(SECRET_SIGNING_KEY), "{missing}");
        let short = message(&[(SECRET_SIGNING_KEY, "short-secret-value")]);
        assert!(short.contains(SECRET_SIGNING_KEY), "{short}");
        assert!(!short.contains("short-secret-value"), "{short}");
        assert!(!format!("{:?}", test_config()).contains(TEST_API_KEY));
    }

    #[test]
    fn phone_links_open_an_app_and_never_run_script() {
        let phone = |value: &str| parse(&[(VAR_PHONE_LINK, value)]).map(|c| c.phone_link);
        for ok in [
            "https://app.example.com/connect/{source}",
            "acme-health://connect?source={source}",
            "acme://open",
        ] {
            assert_eq!(phone(ok), Ok(Some(ok.to_owned())), "{ok}");
        }
        assert_eq!(phone("  "), Ok(None));
        for bad in [
            "javascript:alert(1)//{source}",
            "JavaScript:alert(1)",
            "data:text/html,<script>x</script>",
            "http://app.example.com/{source}",
            "https://user:pw@app.example.com/",
            "vbscript:x",
            "no scheme at all",
            "https://",
        ] {
            let error = phone(bad).unwrap_err().message();
            assert!(error.contains(VAR_PHONE_LINK), "{bad}: {error}");
        }
    }

    const THRYVE_SECRETS: [(&str, &str); 5] = [
        (SECRET_THRYVE_USERNAME, "api-user"),
        (SECRET_THRYVE_PASSWORD, "api-password-value"),
        (SECRET_THRYVE_AUTH_ID, "auth-id-value"),
        (SECRET_THRYVE_AUTH_SECRET, "auth-secret-value"),
        (
            SECRET_THRYVE_WEBHOOK_SECRET,
            "fake-webhook-secret-for-unit-tests",
        ),
    ];

    #[test]
    fn thryve_needs_all_of_its_secrets_and_names_each_missing_one() {
        let mut pairs = vec![(VAR_AGGREGATOR, "thryve")];
        pairs.extend(THRYVE_SECRETS);
        let config = parse(&pairs).unwrap();
        let AggregatorConfig::Thryve(thryve) = &config.aggregator else {
            panic!("{config:?}")
        };
        assert_eq!(thryve.api_base, "https://api.thryve.de");
        assert_eq!(thryve.service_base, "https://service2.und-gesund.de");
        assert!(!config.demo_enabled());
        let printed = format!("{config:?}");
        for (_, secret) in THRYVE_SECRETS {
            assert!(!printed.contains(secret), "{printed}");
        }

        let error = parse(&[
            (VAR_AGGREGATOR, "thryve"),
            (SECRET_THRYVE_USERNAME, "api-user"),
        ])
        .unwrap_err();
        assert_eq!(error.aggregator, Some("thryve"));
        for name in [
            SECRET_THRYVE_PASSWORD,
            SECRET_THRYVE_AUTH_ID,
            SECRET_THRYVE_AUTH_SECRET,
            SECRET_THRYVE_WEBHOOK_SECRET,
        ] {
            assert!(error.message().contains(name), "{}", error.message());
        }
        assert!(!error.message().contains(SECRET_THRYVE_USERNAME));
    }

    #[test]
    fn rook_defaults_to_its_sandbox_host_and_bases_must_be_safe() {
        let secrets = [
            (VAR_AGGREGATOR, "rook"),
            (SECRET_ROOK_CLIENT_UUID, "client-uuid"),
            (SECRET_ROOK_SECRET_KEY, "secret-key"),
            (
                SECRET_ROOK_WEBHOOK_SECRET,
                "fake-webhook-secret-for-unit-tests",
            ),
        ];
        let config = parse(&secrets).unwrap();
        let AggregatorConfig::Rook(rook) = &config.aggregator else {
            panic!("{config:?}")
        };
        assert_eq!(rook.api_base, "https://api.rook-connect.review");

        let with_base = |base: &str| {
            let mut pairs = secrets.to_vec();
            pairs.push((VAR_ROOK_API_BASE, base));
            parse(&pairs)
        };
        let local = with_base("http://127.0.0.1:4010/rook/").unwrap();
        let AggregatorConfig::Rook(rook) = &local.aggregator else {
            panic!()
        };
        assert_eq!(rook.api_base, "http://127.0.0.1:4010/rook");
        for bad in [
            "http://api.rook-connect.com",
            "https://user:pw@api.example.com",
            "https://api.example.com/?x=1",
            "ftp://api.example.com",
            "not a url",
        ] {
            let error = with_base(bad).unwrap_err();
            assert!(error.message().contains(VAR_ROOK_API_BASE), "{bad}");
        }
    }
}
