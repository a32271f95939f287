//! Return URLs: the edge never becomes an open redirect. Input is text, one
//! allowlist entry per line, the last line the candidate.
#![no_main]

use healthlink_edge::return_url::{AllowedReturnUrl, check_return_url};
use libfuzzer_sys::fuzz_target;
use url::Url;

/// Plain http(s) with a host and no credentials: what both entries and
/// accepted candidates must be.
fn assert_plain(url: &Url) {
    assert!(matches!(url.scheme(), "http" | "https"), "{url}");
    assert!(url.host_str().is_some(), "{url}");
    assert!(
        url.username().is_empty() && url.password().is_none(),
        "{url}"
    );
}

/// The entry's path itself, or anything below it at a segment boundary
/// (`/settings` covers `/settings/x`, not `/settingsX`).
fn within(path: &str, prefix: &str) -> bool {
    let base = prefix.strip_suffix('/').unwrap_or(prefix);
    path == prefix || path.starts_with(&format!("{base}/"))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines: Vec<&str> = text.split('\n').collect();
    let candidate = lines.pop().unwrap_or_default();

    let mut allowlist = Vec::new();
    let mut entries = Vec::new();
    for line in lines {
        if let Some(allowed) = AllowedReturnUrl::parse(line) {
            let url = Url::parse(line).expect("an accepted entry is a URL");
            assert_plain(&url);
            assert!(url.query().is_none() && url.fragment().is_none() && !line.contains('*'));
            allowlist.push(allowed);
            entries.push(url);
        }
    }

    let Some(url) = check_return_url(candidate, &allowlist) else {
        return;
    };
    assert_plain(&url);
    assert!(
        entries
            .iter()
            .any(|entry| entry.origin() == url.origin() && within(url.path(), entry.path())),
        "{candidate:?} is outside the allowlist {entries:?}"
    );
    // The path a browser requests is the one checked: no dot segments left
    // for it to resolve.
    assert!(
        !url.path().split('/').any(|s| s == "." || s == ".."),
        "{url}"
    );
    // What is accepted, serialized (as a return state carries it), is
    // accepted again as the same URL.
    if url.as_str().len() <= 2048 {
        assert_eq!(
            check_return_url(url.as_str(), &allowlist).as_ref(),
            Some(&url)
        );
    }
});
