//! Which links the widget lets the browser follow: phone links it shows in
//! an `href`, and connect URLs it sends a window to. The edge checks both
//! first; these second checks keep a misconfigured or impersonated edge from
//! sending the user somewhere that runs script or goes out in clear text.

/// Hosts where plain `http:` is fine: this machine, for development.
const LOOPBACK_HOSTS: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

/// The scheme of `link`, lowercased, if it has one made of scheme
/// characters (`https`, `acme-health`, `x+y.z`).
fn scheme(link: &str) -> Option<(String, &str)> {
    let (scheme, rest) = link.split_once(':')?;
    let plain = !scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    plain.then(|| (scheme.to_ascii_lowercase(), rest))
}

/// The phone link as the widget will show it. The edge accepts only
/// https:// and app links; this second check keeps a link that runs script
/// out of an `href` even if the edge were misconfigured.
pub fn safe_phone_link(link: &str) -> Option<&str> {
    let (scheme, _) = scheme(link.trim_start())?;
    let script = ["javascript", "data", "vbscript", "file", "blob"];
    (!script.contains(&scheme.as_str())).then_some(link)
}

/// Whether the widget may send a window to `url`, the edge's answer to a
/// connect request: `https:` anywhere, plain `http:` only on a loopback
/// host (a developer's edge). Anything else — `javascript:`, `data:`, an
/// `http:` page on the network — is refused, so a compromised or
/// impersonated edge cannot run script in a window we opened or send the
/// user's consent through the clear.
///
/// The host is read the way browsers read it for `http:` and `https:`
/// (backslash ends it like a slash, userinfo before the last `@` is not
/// the host); URLs a browser would clean up first (whitespace, control
/// characters) are refused rather than second-guessed.
pub fn navigable_connect_url(url: &str) -> bool {
    if url.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return false;
    }
    let Some((scheme, rest)) = scheme(url) else {
        return false;
    };
    let Some(after_slashes) = rest.strip_prefix("//") else {
        return false;
    };
    let authority = after_slashes
        .split(['/', '\\', '?', '#'])
        .next()
        .unwrap_or_default();
    let Some(host) = host_of(authority.rsplit('@').next().unwrap_or_default()) else {
        return false;
    };
    match scheme.as_str() {
        "https" => !host.is_empty(),
        "http" => LOOPBACK_HOSTS
            .iter()
            .any(|loopback| host.eq_ignore_ascii_case(loopback)),
        _ => false,
    }
}

/// `example.com:8443` → `example.com`, `[::1]:8787` → `[::1]`; `None`
/// when something other than a port follows an IPv6 address's bracket.
fn host_of(host_and_port: &str) -> Option<&str> {
    let end = if host_and_port.starts_with('[') {
        host_and_port.find(']')? + 1
    } else {
        host_and_port.find(':').unwrap_or(host_and_port.len())
    };
    let (host, port) = host_and_port.split_at(end);
    (port.is_empty() || port.starts_with(':')).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_links_that_run_script_are_never_shown() {
        for ok in [
            "https://app.example.com/c/oura",
            "acme-health://connect/apple_health",
        ] {
            assert_eq!(safe_phone_link(ok), Some(ok));
        }
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,x",
            "vbscript:x",
            "no-scheme",
            "java script:x",
        ] {
            assert_eq!(safe_phone_link(bad), None, "{bad}");
        }
    }

    fn check(url: &str, expected: bool) {
        assert_eq!(navigable_connect_url(url), expected, "{url}");
    }

    #[test]
    fn https_connect_urls_are_followed() {
        check("https://api.thryve.de/connect?token=x", true);
        check("HTTPS://Connect.Example/authorize", true);
        check("https://example.com:8443/a#b", true);
        check("https://", false);
        check("https:example.com", false);
    }

    #[test]
    fn plain_http_only_on_a_loopback_host() {
        check("http://127.0.0.1:8787/v1/sandbox/consent?state=x", true);
        check("http://localhost:8787/", true);
        check("http://LOCALHOST", true);
        check("http://[::1]:8787/x", true);
        check("http://user@localhost:8787/", true);
        check("http://example.com/authorize", false);
        check("http://192.168.1.10/authorize", false);
        check("http://127.0.0.1.example.com/", false);
        check("http://localhost.example.com/", false);
        check("http://[::1].example/", false);
    }

    #[test]
    fn hosts_are_read_as_a_browser_reads_them() {
        // The browser goes to evil.example in each of these.
        check("http://localhost@evil.example/", false);
        check("http://localhost:8787@evil.example/", false);
        check("http://evil.example\\@localhost/", false);
        check("http://evil.example#@localhost/", false);
        check("http://evil.example?@localhost/", false);
        // And to localhost here, with a path that merely mentions another.
        check("http://localhost/@evil.example", true);
    }

    #[test]
    fn other_schemes_and_odd_urls_are_refused() {
        for url in [
            "javascript:alert(document.domain)",
            "JavaScript://localhost/%0aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "ftp://127.0.0.1/",
            "//example.com/authorize",
            "/v1/sandbox/consent",
            "",
            " https://example.com/",
            "https://exa\tmple.com/",
            "http://local\nhost/",
            "https://example.com/a b",
        ] {
            check(url, false);
        }
    }
}
