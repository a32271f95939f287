//! The edge's one error type and its single conversion to problem+json.
//!
//! Handlers return `ApiError`; `ApiError::problem` is the only place that
//! decides what a client sees. Internal detail (runtime errors, storage
//! failures) is logged by the glue and never put in a response.

use healthlink_shared::Problem;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No credentials, or credentials we do not accept.
    Unauthorized,
    /// The request's `Origin` is not one the operator configured.
    OriginNotAllowed,
    NotFound,
    MethodNotAllowed,
    InvalidUserId,
    UnknownSource,
    /// The operator's configuration is incomplete or wrong; `detail` names the
    /// variable so the operator can fix it. Never contains a secret's value.
    Misconfigured {
        detail: String,
    },
    /// Something failed inside the edge (storage, runtime). The detail is
    /// logged, not returned.
    Internal,
}

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthorized => 401,
            Self::OriginNotAllowed => 403,
            Self::NotFound | Self::UnknownSource => 404,
            Self::MethodNotAllowed => 405,
            Self::InvalidUserId => 400,
            Self::Misconfigured { .. } | Self::Internal => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::OriginNotAllowed => "origin_not_allowed",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::InvalidUserId => "invalid_user_id",
            Self::UnknownSource => "unknown_source",
            Self::Misconfigured { .. } => "misconfigured",
            Self::Internal => "internal_error",
        }
    }

    pub fn problem(&self) -> Problem {
        let (title, detail): (&str, Option<String>) = match self {
            Self::Unauthorized => (
                "Not signed in",
                Some("Send a valid session in the Authorization header.".into()),
            ),
            Self::OriginNotAllowed => (
                "Origin not allowed",
                Some("This page's origin is not in HEALTHLINK_ALLOWED_ORIGINS.".into()),
            ),
            Self::NotFound => ("Not found", None),
            Self::MethodNotAllowed => ("Method not allowed", None),
            Self::InvalidUserId => (
                "Invalid user id",
                Some("A user id is 1–50 characters of A–Z, a–z, 0–9 and . _ : @ -.".into()),
            ),
            Self::UnknownSource => ("Unknown data source", None),
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
    fn internal_errors_say_nothing_about_internals() {
        let problem = ApiError::Internal.problem();
        assert_eq!(problem.status, 500);
        assert_eq!(
            problem.detail.as_deref(),
            Some("Please try again in a moment.")
        );
    }
}
