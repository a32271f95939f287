//! Where a browser may be sent after a connect or disconnect: only to URLs on
//! the operator's allowlist (`HEALTHLINK_RETURN_URLS`). This is what keeps
//! the edge from being an open redirect.
//!
//! The allowlist may also name links into the host's mobile app — a custom
//! scheme (`acme://connected`) — which only hosted connect links return to
//! (a mobile app opened them in the system browser and waits for its deep
//! link). Those match exactly; web pages never redirect to them.

use url::Url;

/// One allowlist entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedReturnUrl {
    /// An http(s) page: scheme, host and port must match exactly, and the
    /// path must start with the entry's path at a segment boundary.
    Web(Url),
    /// A deep link into an app, matched exactly.
    App(Url),
}

/// Schemes that are not an app's own: browsers run, show or download them,
/// or (`intent`) they can start any app on Android.
const NOT_APP_SCHEMES: [&str; 14] = [
    "about",
    "blob",
    "data",
    "file",
    "filesystem",
    "ftp",
    "intent",
    "javascript",
    "mailto",
    "sms",
    "tel",
    "vbscript",
    "ws",
    "wss",
];

impl AllowedReturnUrl {
    /// Parses an allowlist entry. Wildcards, credentials, queries and
    /// fragments are not allowed in entries.
    pub fn parse(entry: &str) -> Option<Self> {
        if entry.contains('*') {
            return None;
        }
        let allowed = match parse_http_url(entry) {
            Some(url) => Self::Web(url),
            None => Self::App(parse_app_url(entry)?),
        };
        let url = allowed.url();
        (url.query().is_none() && url.fragment().is_none()).then_some(allowed)
    }

    fn url(&self) -> &Url {
        match self {
            Self::Web(url) | Self::App(url) => url,
        }
    }

    fn allows(&self, candidate: &Url) -> bool {
        let Self::Web(allowed) = self else {
            return false;
        };
        if candidate.scheme() != allowed.scheme()
            || candidate.host_str() != allowed.host_str()
            || candidate.port_or_known_default() != allowed.port_or_known_default()
        {
            return false;
        }
        let prefix = allowed.path();
        let path = candidate.path();
        path == prefix
            || prefix.ends_with('/') && path.starts_with(prefix)
            || path.starts_with(prefix) && path[prefix.len()..].starts_with('/')
    }
}

/// Checks `candidate`, a web page to return to after a flow, against the
/// allowlist and returns it parsed. App links never pass here.
pub fn check_return_url(candidate: &str, allowlist: &[AllowedReturnUrl]) -> Option<Url> {
    let url = parse_http_url(candidate)?;
    allowlist
        .iter()
        .any(|entry| entry.allows(&url))
        .then_some(url)
}

/// Checks where a hosted connect link returns to: a web page as for
/// [`check_return_url`], or exactly one of the listed app links.
pub fn check_link_return_url(candidate: &str, allowlist: &[AllowedReturnUrl]) -> Option<Url> {
    if let Some(url) = check_return_url(candidate, allowlist) {
        return Some(url);
    }
    let url = parse_app_url(candidate)?;
    allowlist
        .iter()
        .any(|entry| *entry == AllowedReturnUrl::App(url.clone()))
        .then_some(url)
}

/// Whether `candidate` is one of this edge's own hosted link pages
/// (`{edge_origin}/connect/<token>`): where a redirect flow started on
/// such a page returns to.
pub fn link_page_url(candidate: &str, edge_origin: &str) -> Option<Url> {
    let url = parse_http_url(candidate)?;
    let origin = url.origin().ascii_serialization();
    let token = url.path().strip_prefix("/connect/")?;
    (origin == edge_origin && token.starts_with("hll1.") && !token.contains('/')).then_some(url)
}

/// Refuses what browsers and parsers disagree on rather than normalise it.
fn plain_text(value: &str) -> bool {
    value.len() <= 2048
        && !value.contains(['\\', ' ', '\t', '\n', '\r'])
        && !value.chars().any(char::is_control)
        && !value.to_ascii_lowercase().contains("%2e")
}

fn parse_http_url(value: &str) -> Option<Url> {
    if !plain_text(value) {
        return None;
    }
    let url = Url::parse(value).ok()?;
    let plain = matches!(url.scheme(), "https" | "http")
        && url.host_str().is_some()
        && url.username().is_empty()
        && url.password().is_none();
    plain.then_some(url)
}

/// An app's own link: a scheme of its own, spelled out in ASCII
/// (`acme://connected`, `com.acme.app:/connected`), with a path or host.
fn parse_app_url(value: &str) -> Option<Url> {
    if !plain_text(value) || !value.is_ascii() {
        return None;
    }
    let url = Url::parse(value).ok()?;
    let scheme = url.scheme();
    let own = !matches!(scheme, "http" | "https")
        && !NOT_APP_SCHEMES.contains(&scheme)
        && !url.cannot_be_a_base()
        && (url.host_str().is_some_and(|host| !host.is_empty()) || url.path().len() > 1)
        && url.username().is_empty()
        && url.password().is_none();
    own.then_some(url)
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

    fn app_allowlist() -> Vec<AllowedReturnUrl> {
        [
            "https://app.example.com/settings",
            "acme://connected",
            "com.acme.health:/healthlink/done",
        ]
        .iter()
        .map(|entry| AllowedReturnUrl::parse(entry).unwrap())
        .collect()
    }

    #[test]
    fn app_links_are_entries_but_never_web_returns() {
        assert!(matches!(
            AllowedReturnUrl::parse("acme://connected"),
            Some(AllowedReturnUrl::App(_))
        ));
        for candidate in ["acme://connected", "com.acme.health:/healthlink/done"] {
            assert_eq!(
                check_return_url(candidate, &app_allowlist()),
                None,
                "{candidate}"
            );
        }
    }

    #[test]
    fn links_return_to_listed_app_links_exactly() {
        let check = |candidate: &str, allowed: bool| {
            assert_eq!(
                check_link_return_url(candidate, &app_allowlist()).is_some(),
                allowed,
                "{candidate}"
            );
        };
        check("acme://connected", true);
        check("ACME://connected", true);
        check("com.acme.health:/healthlink/done", true);
        check("https://app.example.com/settings/sources", true);
        for lookalike in [
            "acme://connected/",
            "acme://connected/more",
            "acme://connected?next=https://evil.example",
            "acme://connected#x",
            "acme://connectedx",
            "acme://evil",
            "acme-evil://connected",
            "acmе://connected",
            "acm://connected",
            "xacme://connected",
            "acme://user@connected",
            "com.acme.health:/healthlink/done/../x",
            "com.acme.health:/healthlink",
            "intent://connected",
            "javascript://connected",
            "https://evil.example/settings",
        ] {
            check(lookalike, false);
        }
    }

    #[test]
    fn app_entries_must_be_an_apps_own() {
        for entry in [
            "javascript://alert",
            "data://text",
            "intent://scan/#Intent;scheme=zxing;end",
            "file:///etc/passwd",
            "acme:",
            "acme:connected",
            "acme://connected?x=1",
            "acme://connected#x",
            "acme://*",
            "acmе://connected",
        ] {
            assert_eq!(AllowedReturnUrl::parse(entry), None, "{entry}");
        }
    }

    #[test]
    fn link_pages_are_this_edges_own_only() {
        let edge = "https://edge.example.com";
        assert!(
            link_page_url(
                "https://edge.example.com/connect/hll1.abc?healthlink_result=x",
                edge
            )
            .is_some()
        );
        for other in [
            "https://edge.example.com/connect/",
            "https://edge.example.com/connect/hll1.abc/more",
            "https://edge.example.com/connect/hls1.abc",
            "https://edge.example.com/demo/",
            "https://evil.example/connect/hll1.abc",
            "http://edge.example.com/connect/hll1.abc",
            "https://edge.example.com:8443/connect/hll1.abc",
        ] {
            assert_eq!(link_page_url(other, edge), None, "{other}");
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
