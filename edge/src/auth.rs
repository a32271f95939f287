//! Who is asking: turns the `Authorization` header into a user.
//!
//! Until signed sessions exist, the only mechanism is the development user:
//! `Authorization: Bearer dev-user:<user_id>`. It is accepted only when the
//! sandbox aggregator is selected (see `Config::dev_users_enabled`), because it
//! lets the browser choose the user.

use crate::config::Config;
use crate::error::ApiError;
use crate::user_id::UserId;

pub const DEV_USER_PREFIX: &str = "dev-user:";

pub fn authenticate(authorization: Option<&str>, config: &Config) -> Result<UserId, ApiError> {
    let token = authorization
        .and_then(bearer_token)
        .ok_or(ApiError::Unauthorized)?;
    match token.strip_prefix(DEV_USER_PREFIX) {
        Some(user) if config.dev_users_enabled() => {
            UserId::parse(user).map_err(|_| ApiError::Unauthorized)
        }
        _ => Err(ApiError::Unauthorized),
    }
}

/// The credentials of a `Bearer` authorization header (scheme case-insensitive).
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AggregatorKind;

    fn sandbox() -> Config {
        Config {
            aggregator: AggregatorKind::Sandbox,
            allowed_origins: vec![],
        }
    }

    #[test]
    fn dev_user_is_accepted_in_the_sandbox() {
        let user = authenticate(Some("Bearer dev-user:alice"), &sandbox()).unwrap();
        assert_eq!(user.as_str(), "alice");
        let user = authenticate(Some("bearer  dev-user:bob "), &sandbox()).unwrap();
        assert_eq!(user.as_str(), "bob");
    }

    #[test]
    fn anything_else_is_unauthorized() {
        for header in [
            None,
            Some(""),
            Some("Bearer"),
            Some("Bearer "),
            Some("Basic dev-user:alice"),
            Some("Bearer alice"),
            Some("Bearer dev-user:"),
            Some("Bearer dev-user:../bob"),
            Some("Bearer dev-user:a/b"),
        ] {
            assert_eq!(
                authenticate(header, &sandbox()),
                Err(ApiError::Unauthorized),
                "{header:?}"
            );
        }
    }
}
