//! The data sources Healthlink knows about: stable ids, display names, kinds.

use serde::{Deserialize, Serialize};

/// How a person connects a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// Connected in the browser through the provider's OAuth consent screen.
    Oauth,
    /// Connected on the phone only (Apple Health, Health Connect): there is no
    /// browser consent screen, so the widget never offers a connect URL.
    Mobile,
}

impl SourceKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Oauth => "oauth",
            Self::Mobile => "mobile",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Oauth, Self::Mobile]
            .into_iter()
            .find(|kind| kind.as_str() == value)
    }
}

/// One entry of the source catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceInfo {
    /// Stable slug used in URLs and on the wire. Never renamed once published.
    pub id: &'static str,
    /// Name shown to people; the provider's own spelling.
    pub name: &'static str,
    pub kind: SourceKind,
}

const fn oauth(id: &'static str, name: &'static str) -> SourceInfo {
    SourceInfo {
        id,
        name,
        kind: SourceKind::Oauth,
    }
}

const fn mobile(id: &'static str, name: &'static str) -> SourceInfo {
    SourceInfo {
        id,
        name,
        kind: SourceKind::Mobile,
    }
}

/// Every source, in the order the widget shows them.
pub const CATALOG: &[SourceInfo] = &[
    oauth("fitbit", "Fitbit"),
    oauth("garmin", "Garmin"),
    oauth("oura", "Oura"),
    oauth("polar", "Polar"),
    oauth("withings", "Withings"),
    oauth("whoop", "WHOOP"),
    oauth("strava", "Strava"),
    oauth("dexcom", "Dexcom"),
    mobile("apple_health", "Apple Health"),
    mobile("health_connect", "Health Connect"),
];

/// Looks a source up by its wire id. Ids are compared exactly: no case folding,
/// no trimming, so `Fitbit` or `fitbit ` are unknown rather than aliases.
pub fn find_source(id: &str) -> Option<&'static SourceInfo> {
    CATALOG.iter().find(|source| source.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_lowercase_slugs() {
        for (index, source) in CATALOG.iter().enumerate() {
            assert!(
                !source.id.is_empty()
                    && source
                        .id
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{:?} is not a lowercase slug",
                source.id
            );
            assert!(
                CATALOG[index + 1..]
                    .iter()
                    .all(|other| other.id != source.id),
                "{} appears twice",
                source.id
            );
        }
    }

    #[test]
    fn kind_spelling_matches_serde() {
        for kind in [SourceKind::Oauth, SourceKind::Mobile] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(SourceKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(SourceKind::parse("Mobile"), None);
    }

    #[test]
    fn lookup_is_exact() {
        assert_eq!(find_source("oura").map(|s| s.name), Some("Oura"));
        assert_eq!(
            find_source("apple_health").map(|s| s.kind),
            Some(SourceKind::Mobile)
        );
        for unknown in ["Oura", "oura ", "", "../oura", "oura%2F", "ｏura"] {
            assert_eq!(find_source(unknown), None, "{unknown:?}");
        }
    }
}
