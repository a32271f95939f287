//! Plain widget state and the words shown for it. No DOM, no Leptos: tested
//! natively.

use healthlink_shared::{ConnectionStatus, ConnectionsResponse, Problem};

/// What the widget configuration says: where the edge is and who the user is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetConfig {
    /// Edge origin, without a trailing slash.
    pub edge: String,
    /// The session token sent as `Authorization: Bearer …`.
    pub session: String,
}

impl WidgetConfig {
    pub fn new(edge: &str, session: &str) -> Self {
        Self {
            edge: edge.trim().trim_end_matches('/').to_owned(),
            session: session.trim().to_owned(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.edge)
    }
}

/// Why loading the list failed, as far as a person needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The edge could not be reached at all (offline, down, blocked by CORS).
    Unreachable,
    /// The edge answered with a problem+json body.
    Problem(Problem),
    /// The edge answered with something that is not our contract.
    Unexpected(u16),
}

impl LoadError {
    /// A sentence a person can act on.
    pub fn message(&self) -> String {
        match self {
            Self::Unreachable => {
                "We can't reach the connection service right now. Check your internet \
                 connection and try again."
                    .to_owned()
            }
            Self::Problem(problem) if problem.status == 401 => {
                "Your session has ended. Reload the page to sign in again.".to_owned()
            }
            Self::Problem(problem) => match &problem.detail {
                Some(detail) => format!("{} {detail}", sentence(&problem.title)),
                None => sentence(&problem.title),
            },
            Self::Unexpected(status) => {
                format!("The connection service answered unexpectedly (HTTP {status}). Try again.")
            }
        }
    }
}

fn sentence(title: &str) -> String {
    if title.ends_with('.') {
        title.to_owned()
    } else {
        format!("{title}.")
    }
}

/// The list panel's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadState {
    Loading,
    Loaded(ConnectionsResponse),
    Failed(LoadError),
}

/// The badge text for a status.
pub fn status_label(status: ConnectionStatus) -> &'static str {
    match status {
        ConnectionStatus::Connected => "Connected",
        ConnectionStatus::Disconnected => "Not connected",
        ConnectionStatus::Expired => "Expired — reconnect",
        ConnectionStatus::Pending => "Pending",
        ConnectionStatus::Error => "Error",
    }
}

/// A monogram for sources without a logo: the first letter of the name.
pub fn monogram(name: &str) -> String {
    name.chars()
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_trims_the_edge_url() {
        let config = WidgetConfig::new(" http://127.0.0.1:8787/ ", " token ");
        assert_eq!(
            config.url("/v1/connections"),
            "http://127.0.0.1:8787/v1/connections"
        );
        assert_eq!(config.session, "token");
    }

    #[test]
    fn messages_are_sentences_without_internals() {
        assert!(LoadError::Unreachable.message().contains("can't reach"));
        let unauthorized = Problem::new(401, "unauthorized", "Not signed in", None);
        assert!(
            LoadError::Problem(unauthorized)
                .message()
                .contains("session has ended")
        );
        let forbidden = Problem::new(
            403,
            "origin_not_allowed",
            "Origin not allowed",
            Some("This page's origin is not in HEALTHLINK_ALLOWED_ORIGINS.".into()),
        );
        assert_eq!(
            LoadError::Problem(forbidden).message(),
            "Origin not allowed. This page's origin is not in HEALTHLINK_ALLOWED_ORIGINS."
        );
        assert!(LoadError::Unexpected(502).message().contains("502"));
    }

    #[test]
    fn labels_and_monograms() {
        assert_eq!(
            status_label(ConnectionStatus::Disconnected),
            "Not connected"
        );
        assert_eq!(monogram("Oura"), "O");
        assert_eq!(monogram("ömron"), "Ö");
        assert_eq!(monogram(""), "");
    }
}
