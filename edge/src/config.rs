//! The operator's configuration, parsed once from the Worker environment.
//!
//! Nothing outside this module reads binding names. Parsing takes a lookup
//! function instead of a `worker::Env` so it is tested natively.

use crate::cors::normalize_origin;
use crate::error::ApiError;

pub const VAR_AGGREGATOR: &str = "HEALTHLINK_AGGREGATOR";
pub const VAR_ALLOWED_ORIGINS: &str = "HEALTHLINK_ALLOWED_ORIGINS";

/// Which aggregator the edge talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregatorKind {
    /// Built into the edge; needs no account and no secrets.
    Sandbox,
}

impl AggregatorKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub aggregator: AggregatorKind,
    /// Normalised origins (`scheme://host[:port]`) allowed to call the
    /// widget-facing API from a browser.
    pub allowed_origins: Vec<String>,
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
        let allowed_origins = lookup(VAR_ALLOWED_ORIGINS)
            .unwrap_or_default()
            .split([',', ' ', '\n', '\t'])
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                normalize_origin(entry).ok_or_else(|| {
                    ConfigError(format!(
                        "{VAR_ALLOWED_ORIGINS} has {entry:?}, which is not an origin \
                         like https://app.example.com (scheme, host and optional port; no path)."
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            aggregator,
            allowed_origins,
        })
    }

    /// Whether the development-only user mechanism (`auth::DEV_USER_PREFIX`)
    /// is accepted. Only the sandbox aggregator enables it: with a real
    /// aggregator, a user id a browser can choose would reach real accounts.
    pub fn dev_users_enabled(&self) -> bool {
        self.aggregator == AggregatorKind::Sandbox
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn defaults_to_the_sandbox_with_no_origins() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.aggregator, AggregatorKind::Sandbox);
        assert!(config.allowed_origins.is_empty());
        assert!(config.dev_users_enabled());
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
    fn bad_values_name_the_variable() {
        let error = parse(&[(VAR_ALLOWED_ORIGINS, "https://a.example/path")]).unwrap_err();
        assert!(error.0.contains(VAR_ALLOWED_ORIGINS), "{}", error.0);
        let error = parse(&[(VAR_AGGREGATOR, "acme")]).unwrap_err();
        assert!(error.0.contains(VAR_AGGREGATOR), "{}", error.0);
    }
}
