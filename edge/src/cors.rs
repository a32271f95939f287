//! Cross-origin policy: which browser origins may call the widget-facing API.
//!
//! Only exact, configured origins are allowed (plus the edge's own origin,
//! which serves the demo page). There are no wildcards: a wildcard would let
//! any site drive a signed-in user's widget session.

/// Methods and headers the widget uses; preflights ask for nothing else.
pub const ALLOW_METHODS: &str = "GET, POST, DELETE, OPTIONS";
pub const ALLOW_HEADERS: &str = "authorization, content-type";
/// How long a browser may cache a successful preflight, in seconds.
pub const MAX_AGE_SECONDS: &str = "600";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsDecision {
    /// No `Origin` header: not a browser cross-origin request (a server, curl).
    NoOrigin,
    /// The origin is allowed; echo it back in `Access-Control-Allow-Origin`.
    Allowed(String),
    Refused,
}

/// Decides whether a request carrying `origin` may be answered.
pub fn decide(origin: Option<&str>, allowed: &[String], edge_origin: &str) -> CorsDecision {
    let Some(origin) = origin else {
        return CorsDecision::NoOrigin;
    };
    match normalize_origin(origin) {
        Some(origin) if origin == edge_origin || allowed.contains(&origin) => {
            CorsDecision::Allowed(origin)
        }
        _ => CorsDecision::Refused,
    }
}

/// Headers to add to a response for `decision` (none unless allowed).
pub fn response_headers(decision: &CorsDecision) -> Vec<(&'static str, String)> {
    match decision {
        CorsDecision::Allowed(origin) => vec![
            ("access-control-allow-origin", origin.clone()),
            ("vary", "Origin".to_owned()),
        ],
        CorsDecision::NoOrigin | CorsDecision::Refused => vec![("vary", "Origin".to_owned())],
    }
}

/// Extra headers on a successful preflight answer.
pub fn preflight_headers() -> [(&'static str, &'static str); 3] {
    [
        ("access-control-allow-methods", ALLOW_METHODS),
        ("access-control-allow-headers", ALLOW_HEADERS),
        ("access-control-max-age", MAX_AGE_SECONDS),
    ]
}

/// Normalises an origin to `scheme://host[:port]` in lowercase, dropping a
/// default port and one trailing slash. Returns `None` for anything that is
/// not a plain http(s) origin (paths, queries, credentials, `null`).
pub fn normalize_origin(value: &str) -> Option<String> {
    let value = value.trim();
    let value = value.strip_suffix('/').unwrap_or(value);
    let (scheme, rest) = value.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', '\\', ' ', '*']) {
        return None;
    }
    let rest = rest.to_ascii_lowercase();
    let (host, port) = match rest.rsplit_once(':') {
        // An IPv6 literal like `[::1]` has colons of its own.
        Some((host, port)) if !port.contains(']') => (host, Some(port)),
        _ => (rest.as_str(), None),
    };
    if host.is_empty() || !host.is_ascii() {
        return None;
    }
    match port {
        None => Some(format!("{scheme}://{host}")),
        Some(port) if port == default_port => Some(format!("{scheme}://{host}")),
        Some(port)
            if !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(format!("{scheme}://{host}:{port}"))
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Option<&str>) {
        assert_eq!(normalize_origin(input).as_deref(), expected, "{input:?}");
    }

    #[test]
    fn normalises_origins() {
        check("https://App.Example.com", Some("https://app.example.com"));
        check("https://app.example.com/", Some("https://app.example.com"));
        check(
            "https://app.example.com:443",
            Some("https://app.example.com"),
        );
        check("http://127.0.0.1:8788", Some("http://127.0.0.1:8788"));
        check("http://[::1]:8788", Some("http://[::1]:8788"));
        check("http://[::1]", Some("http://[::1]"));
    }

    #[test]
    fn refuses_non_origins() {
        for bad in [
            "null",
            "",
            "app.example.com",
            "ftp://a.example",
            "https://",
            "https://a.example/path",
            "https://a.example?x",
            "https://user@a.example",
            "https://*.example.com",
            "https://a.example:99999x",
            "https://a.example:",
        ] {
            check(bad, None);
        }
    }

    #[test]
    fn decides_by_exact_origin() {
        let allowed = vec!["https://app.example.com".to_owned()];
        let edge = "https://edge.example.com";
        assert_eq!(decide(None, &allowed, edge), CorsDecision::NoOrigin);
        assert_eq!(
            decide(Some("https://app.example.com"), &allowed, edge),
            CorsDecision::Allowed("https://app.example.com".into())
        );
        assert_eq!(
            decide(Some("https://edge.example.com"), &allowed, edge),
            CorsDecision::Allowed("https://edge.example.com".into())
        );
        for refused in [
            "https://evil.example.com",
            "https://app.example.com.evil.example",
            "http://app.example.com",
            "null",
        ] {
            assert_eq!(
                decide(Some(refused), &allowed, edge),
                CorsDecision::Refused,
                "{refused}"
            );
        }
    }

    #[test]
    fn only_allowed_origins_get_an_allow_origin_header() {
        let names = |decision| {
            response_headers(&decision)
                .into_iter()
                .map(|(name, _)| name)
                .collect::<Vec<_>>()
        };
        assert!(
            names(CorsDecision::Allowed("https://a.example".into()))
                .contains(&"access-control-allow-origin")
        );
        assert!(!names(CorsDecision::Refused).contains(&"access-control-allow-origin"));
    }
}
