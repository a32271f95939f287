//! Where a browser may be sent after a connect or disconnect: only to URLs on
//! the operator's allowlist (`HEALTHLINK_RETURN_URLS`). This is what keeps
//! the edge from being an open redirect.

use url::Url;

/// One allowlist entry: scheme, host and port must match exactly, and the
/// path must start with the entry's path at a segment boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedReturnUrl {
    url: Url,
}

impl AllowedReturnUrl {
    /// Parses an allowlist entry. Wildcards, credentials, queries and
    /// fragments are not allowed in entries.
    pub fn parse(entry: &str) -> Option<Self> {
        let url = parse_http_url(entry)?;
        if entry.contains('*') || url.query().is_some() || url.fragment().is_some() {
            return None;
        }
        Some(Self { url })
    }

    fn allows(&self, candidate: &Url) -> bool {
        if candidate.scheme() != self.url.scheme()
            || candidate.host_str() != self.url.host_str()
            || candidate.port_or_known_default() != self.url.port_or_known_default()
        {
            return false;
        }
        let prefix = self.url.path();
        let path = candidate.path();
        path == prefix
            || prefix.ends_with('/') && path.starts_with(prefix)
            || path.starts_with(prefix) && path[prefix.len()..].starts_with('/')
    }
}

/// Checks `candidate` against the allowlist and returns it parsed.
pub fn check_return_url(candidate: &str, allowlist: &[AllowedReturnUrl]) -> Option<Url> {
    let url = parse_http_url(candidate)?;
    allowlist
        .iter()
        .any(|entry| entry.allows(&url))
        .then_some(url)
}

fn parse_http_url(value: &str) -> Option<Url> {
    // Refuse what browsers and parsers disagree on rather than normalise it.
    if value.len() > 2048
        || value.contains(['\\', ' ', '\t', '\n', '\r'])
        || value.chars().any(char::is_control)
        || value.to_ascii_lowercase().contains("%2e")
    {
        return None;
    }
    let url = Url::parse(value).ok()?;
    let plain = matches!(url.scheme(), "https" | "http")
        && url.host_str().is_some()
        && url.username().is_empty()
        && url.password().is_none();
    plain.then_some(url)
}

/// Appends the `healthlink_*` result parameters, replacing any the URL
/// already had (a host page must not be able to pre-seed a result).
pub fn with_result_params(mut url: Url, params: &[(&str, &str)]) -> Url {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| !name.starts_with("healthlink_"))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    {
        let mut query = url.query_pairs_mut();
        query.clear();
        query.extend_pairs(kept);
        query.extend_pairs(params.iter().copied());
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowlist() -> Vec<AllowedReturnUrl> {
        ["https://app.example.com/settings", "http://127.0.0.1:8788/"]
            .iter()
            .map(|entry| AllowedReturnUrl::parse(entry).unwrap())
            .collect()
    }

    fn check(candidate: &str, allowed: bool) {
        assert_eq!(
            check_return_url(candidate, &allowlist()).is_some(),
            allowed,
            "{candidate}"
        );
    }

    #[test]
    fn allows_listed_urls_and_their_subpaths() {
        check("https://app.example.com/settings", true);
        check("https://app.example.com/settings/sources?tab=2", true);
        check("https://app.example.com:443/settings", true);
        check("http://127.0.0.1:8788/any/page.html", true);
    }

    #[test]
    fn refuses_everything_else() {
        for candidate in [
            "https://app.example.com/settingsX",
            "https://app.example.com/",
            "https://app.example.com/settings/../admin",
            "https://app.example.com/settings/%2e%2e/admin",
            "http://app.example.com/settings",
            "https://app.example.com:8443/settings",
            "https://evil.example/settings",
            "https://app.example.com.evil.example/settings",
            "https://app.example.com@evil.example/settings",
            "https://user:pw@app.example.com/settings",
            "https://evil.example\\@app.example.com/settings",
            "//evil.example/settings",
            "/settings",
            "javascript:alert(1)",
            "data:text/html,hi",
            "http://127.0.0.1:8789/",
            "http://localhost:8788/",
            "",
        ] {
            check(candidate, false);
        }
    }

    #[test]
    fn entries_must_be_plain() {
        for entry in [
            "https://*.example.com/",
            "https://app.example.com/?x=1",
            "https://app.example.com/#x",
            "ftp://app.example.com/",
            "app.example.com",
        ] {
            assert_eq!(AllowedReturnUrl::parse(entry), None, "{entry}");
        }
    }

    #[test]
    fn result_params_replace_existing_ones() {
        let url =
            Url::parse("https://app.example.com/s?tab=2&healthlink_result=connected").unwrap();
        let url = with_result_params(
            url,
            &[
                ("healthlink_source", "oura"),
                ("healthlink_result", "cancelled"),
            ],
        );
        assert_eq!(
            url.as_str(),
            "https://app.example.com/s?tab=2&healthlink_source=oura&healthlink_result=cancelled"
        );
    }
}
