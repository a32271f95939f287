//! The operator's configuration, parsed once per request from the Worker
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
pub const SECRET_API_KEY: &str = "HEALTHLINK_API_KEY";
pub const SECRET_SIGNING_KEY: &str = "HEALTHLINK_SIGNING_KEY";

/// Shortest accepted secrets, in bytes. Short keys are guessable.
const MIN_API_KEY_LEN: usize = 24;
const MIN_SIGNING_KEY_LEN: usize = 32;

/// Which aggregator the edge talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregatorKind {
    /// Built into the edge; needs no account and no aggregator secrets.
    Sandbox,
}

impl AggregatorKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    pub aggregator: AggregatorKind,
    /// Normalised origins (`scheme://host[:port]`) allowed to embed the widget.
    pub allowed_origins: Vec<String>,
    /// Where browsers may be sent back to after a redirect flow.
    pub return_urls: Vec<AllowedReturnUrl>,
    /// The host app's name, shown on consent pages ("<app> asks to …").
    pub app_name: String,
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
            .field("allowed_origins", &self.allowed_origins)
            .field("return_urls", &self.return_urls)
            .field("app_name", &self.app_name)
            .finish_non_exhaustive()
    }
}

/// What is wrong with the configuration, naming the variable to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl From<ConfigError> for ApiError {
    fn from(error: ConfigError) -> Self {
        ApiError::Misconfigured { detail: error.0 }
    }
}

impl Config {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let aggregator = match lookup(VAR_AGGREGATOR).as_deref().map(str::trim) {
            None | Some("") | Some("sandbox") => AggregatorKind::Sandbox,
            Some(other) => {
                return Err(ConfigError(format!(
                    "{VAR_AGGREGATOR} is {other:?}; the supported value is \"sandbox\"."
                )));
            }
        };
        let allowed_origins = list(&lookup, VAR_ALLOWED_ORIGINS)
            .iter()
            .map(|entry| {
                normalize_origin(entry).ok_or_else(|| {
                    ConfigError(format!(
                        "{VAR_ALLOWED_ORIGINS} has {entry:?}, which is not an origin \
                         like https://app.example.com (scheme, host and optional port; no path)."
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let return_urls = list(&lookup, VAR_RETURN_URLS)
            .iter()
            .map(|entry| {
                AllowedReturnUrl::parse(entry).ok_or_else(|| {
                    ConfigError(format!(
                        "{VAR_RETURN_URLS} has {entry:?}, which is not a plain http(s) URL \
                         like https://app.example.com/settings (no wildcards, query or fragment)."
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let app_name = lookup(VAR_APP_NAME)
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "This app".to_owned());
        Ok(Self {
            aggregator,
            allowed_origins,
            return_urls,
            app_name,
            api_key: secret(&lookup, SECRET_API_KEY, MIN_API_KEY_LEN)?,
            signing_key: secret(&lookup, SECRET_SIGNING_KEY, MIN_SIGNING_KEY_LEN)?,
        })
    }

    /// Whether the demo's session route is served. Only with the sandbox:
    /// it mints sessions without the API key, for a fixed demo user.
    pub fn demo_enabled(&self) -> bool {
        self.aggregator == AggregatorKind::Sandbox
    }
}

/// A list variable: entries separated by commas or whitespace.
fn list(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> Vec<String> {
    lookup(name)
        .unwrap_or_default()
        .split([',', ' ', '\n', '\t'])
        .filter(|entry| !entry.is_empty())
        .map(str::to_owned)
        .collect()
}

fn secret(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    min_len: usize,
) -> Result<String, ConfigError> {
    match lookup(name) {
        Some(value) if value.len() >= min_len => Ok(value),
        Some(_) => Err(ConfigError(format!(
            "{name} is too short; use at least {min_len} random characters \
             (e.g. `openssl rand -base64 48`)."
        ))),
        None => Err(ConfigError(format!(
            "{name} is not set. Set it with `wrangler secret put {name}` \
             (locally: a line in .dev.vars)."
        ))),
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    pub const TEST_API_KEY: &str = "test-api-key-0123456789abcdef";
    pub const TEST_SIGNING_KEY: &str = "test-signing-key-0123456789abcdef0123456789";

    pub fn parse(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
                .or_else(|| match name {
                    SECRET_API_KEY => Some(TEST_API_KEY.to_owned()),
                    SECRET_SIGNING_KEY => Some(TEST_SIGNING_KEY.to_owned()),
                    _ => None,
                })
        })
    }

    /// A config as the tests of other modules use it.
    pub fn test_config() -> Config {
        parse(&[
            (VAR_ALLOWED_ORIGINS, "https://app.example.com"),
            (VAR_RETURN_URLS, "https://app.example.com/settings"),
            (VAR_APP_NAME, "Acme Health"),
        ])
        .unwrap()
    }

    #[test]
    fn defaults_to_the_sandbox_with_no_origins() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.aggregator, AggregatorKind::Sandbox);
        assert!(config.allowed_origins.is_empty() && config.return_urls.is_empty());
        assert_eq!(config.app_name, "This app");
        assert!(config.demo_enabled());
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
    fn bad_values_name_the_variable_and_never_the_secret() {
        let error = parse(&[(VAR_ALLOWED_ORIGINS, "https://a.example/path")]).unwrap_err();
        assert!(error.0.contains(VAR_ALLOWED_ORIGINS), "{}", error.0);
        let error = parse(&[(VAR_AGGREGATOR, "acme")]).unwrap_err();
        assert!(error.0.contains(VAR_AGGREGATOR), "{}", error.0);
        let error = parse(&[(VAR_RETURN_URLS, "https://*.example.com/")]).unwrap_err();
        assert!(error.0.contains(VAR_RETURN_URLS), "{}", error.0);

        let missing = Config::from_lookup(|_| None).unwrap_err();
        assert!(missing.0.contains(SECRET_API_KEY), "{}", missing.0);
        let short = parse(&[(SECRET_SIGNING_KEY, "short-secret-value")]).unwrap_err();
        assert!(short.0.contains(SECRET_SIGNING_KEY), "{}", short.0);
        assert!(!short.0.contains("short-secret-value"), "{}", short.0);
        assert!(!format!("{:?}", test_config()).contains(TEST_API_KEY));
    }
}
