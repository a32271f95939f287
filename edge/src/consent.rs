//! The consent text a user is shown before a connect flow opens, as the
//! deployment configures it: a version (`HEALTHLINK_CONSENT_VERSION`) that
//! each connect's audit row records, and optional purpose lines per source
//! (`HEALTHLINK_CONSENT_PURPOSES`) the widget shows first.
//!
//! The version names a text the operator keeps (in their own records or
//! repository); the edge never stores the text itself, only which version
//! each user agreed to, inside the tamper-evident trail.

use std::collections::BTreeMap;

use healthlink_shared::find_source;

/// A purpose line is one or two sentences, not a policy.
pub const MAX_PURPOSE_CHARS: usize = 300;
pub const MAX_VERSION_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsentText {
    /// `None`: the deployment does not version its consent text.
    pub version: Option<String>,
    /// Source id → what its data is used for, in the app's words.
    pub purposes: BTreeMap<String, String>,
}

impl ConsentText {
    /// The version a connect row records.
    pub fn version(&self) -> Option<String> {
        self.version.clone()
    }

    /// The purpose line shown before `source`'s connect flow, if any.
    pub fn purpose(&self, source: &str) -> Option<&str> {
        self.purposes.get(source).map(String::as_str)
    }
}

/// A version as operators write them (`2026-11`, `v3.1`, `study-A:2`):
/// 1–64 of A–Z a–z 0–9 . _ : + -, so it reads the same in every log, export
/// and spreadsheet.
pub fn parse_version(value: &str) -> Option<String> {
    let value = value.trim();
    let fits = (1..=MAX_VERSION_CHARS).contains(&value.chars().count())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '+' | '-'));
    fits.then(|| value.to_owned())
}

/// `{"<source id>": "<purpose line>", …}`; each problem as a sentence.
pub fn parse_purposes(value: &str) -> Result<BTreeMap<String, String>, Vec<String>> {
    let parsed: BTreeMap<String, serde_json::Value> = serde_json::from_str(value)
        .map_err(|_| vec!["is not a JSON object of source id to purpose line".to_owned()])?;
    let mut purposes = BTreeMap::new();
    let mut problems = Vec::new();
    for (source, line) in parsed {
        if find_source(&source).is_none() {
            problems.push(format!("names {source:?}, which is no source id"));
            continue;
        }
        let Some(line) = line.as_str().map(str::trim) else {
            problems.push(format!("gives {source} a purpose that is not a string"));
            continue;
        };
        if line.is_empty()
            || line.chars().count() > MAX_PURPOSE_CHARS
            || line.chars().any(char::is_control)
        {
            problems.push(format!(
                "gives {source} a purpose that is not one line of 1 to {MAX_PURPOSE_CHARS} \
                 characters"
            ));
            continue;
        }
        purposes.insert(source, line.to_owned());
    }
    if problems.is_empty() {
        Ok(purposes)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_short_plain_names() {
        assert_eq!(parse_version(" 2026-11 "), Some("2026-11".into()));
        assert_eq!(
            parse_version("study-A:v3.1+de"),
            Some("study-A:v3.1+de".into())
        );
        for bad in [
            "",
            " ",
            "two words",
            "v1\nv2",
            "ünicode",
            "<b>",
            &"x".repeat(65),
        ] {
            assert_eq!(parse_version(bad), None, "{bad:?}");
        }
        assert!(parse_version(&"x".repeat(64)).is_some());
    }

    #[test]
    fn purposes_are_lines_for_known_sources() {
        let purposes = parse_purposes(
            r#"{"oura": " Sleep and readiness, to adapt your plan. ", "garmin": "Steps."}"#,
        )
        .unwrap();
        assert_eq!(purposes["oura"], "Sleep and readiness, to adapt your plan.");
        assert_eq!(purposes.len(), 2);
        let text = ConsentText {
            version: Some("v1".into()),
            purposes,
        };
        assert_eq!(text.purpose("garmin"), Some("Steps."));
        assert_eq!(text.purpose("fitbit"), None);
    }

    #[test]
    fn bad_purposes_are_each_named() {
        assert_eq!(parse_purposes("[1]").unwrap_err().len(), 1);
        let problems = parse_purposes(&format!(
            r#"{{"nosuch": "x", "oura": 3, "garmin": "", "fitbit": "a\nb", "polar": "{}"}}"#,
            "y".repeat(301)
        ))
        .unwrap_err();
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("nosuch")));
        assert!(problems.iter().any(|p| p.contains("oura")));
    }
}
