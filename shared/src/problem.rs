//! The `application/problem+json` error body (RFC 9457) every error uses.

use serde::{Deserialize, Serialize};

/// An error as the edge returns it. `code` is stable and machine-readable;
/// `title` and `detail` are for people and may change wording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A URN naming the problem type (`urn:healthlink:problem:<code>`).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable machine-readable code, e.g. `unauthorized`, `unknown_source`.
    pub code: String,
}

impl Problem {
    pub fn new(status: u16, code: &str, title: &str, detail: Option<String>) -> Self {
        Self {
            kind: format!("urn:healthlink:problem:{code}"),
            title: title.to_owned(),
            status,
            detail,
            code: code.to_owned(),
        }
    }
}
