//! The host app's user id, validated once at the boundary.

use std::fmt;

use crate::error::ApiError;

/// A user id as the host app knows it: 1–50 characters of `[A-Za-z0-9._:@-]`.
/// 50 is ROOK's limit, the strictest of the aggregators we speak to; the
/// character set keeps ids safe in URLs, logs and Durable Object names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(String);

pub const USER_ID_MAX_LEN: usize = 50;

impl UserId {
    pub fn parse(value: &str) -> Result<Self, ApiError> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "._:@-".contains(c);
        if value.is_empty() || value.len() > USER_ID_MAX_LEN || !value.chars().all(allowed) {
            return Err(ApiError::InvalidUserId);
        }
        // `.` and `..` alone are path segments with a meaning of their own.
        if value == "." || value == ".." {
            return Err(ApiError::InvalidUserId);
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, valid: bool) {
        assert_eq!(UserId::parse(input).is_ok(), valid, "{input:?}");
    }

    #[test]
    fn accepts_the_documented_alphabet() {
        check("alice", true);
        check("user-42@example.org", true);
        check("tenant:7.user_9", true);
        check(&"a".repeat(50), true);
    }

    #[test]
    fn refuses_everything_else() {
        check("", false);
        check(&"a".repeat(51), false);
        check("..", false);
        check(".", false);
        check("a/b", false);
        check("a%2Fb", false);
        check("a b", false);
        check("ünïcode", false);
        check("a\u{0}", false);
    }
}
