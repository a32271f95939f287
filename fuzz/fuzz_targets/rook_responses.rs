//! ROOK's answers and webhooks, and its error answers as `classify` reads
//! them: every parser gets the same arbitrary text.
#![no_main]

use healthlink_edge::aggregator::rook::{
    is_browser_url, parse_authorized, rook_name, webhook_user,
};
use healthlink_fuzz::check_error_answer;
use healthlink_shared::find_source;
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    // Statuses are only ever reported for sources of ours ROOK serves.
    if let Ok(statuses) = parse_authorized(&text) {
        for (id, _) in statuses {
            let source = find_source(id).expect("a catalog source");
            assert!(rook_name(source).is_some(), "{id}");
        }
    }

    // A webhook names a valid user id (it becomes a Durable Object name).
    if let Ok(user) = webhook_user(&text) {
        let user = user.as_str();
        let allowed = |c: char| c.is_ascii_alphanumeric() || "._:@-".contains(c);
        assert!(
            (1..=50).contains(&user.len()) && user.chars().all(allowed),
            "{user:?}"
        );
        assert!(user != "." && user != "..");
    }

    // A URL handed to the browser opens a web page as the browser parses it
    // (same WHATWG rules): never script, data or a local file.
    if is_browser_url(&text) {
        let url = Url::parse(&text).expect("a browser URL parses");
        assert!(matches!(url.scheme(), "http" | "https") && url.host_str().is_some());
    }

    check_error_answer("ROOK", "ROOK_CLIENT_UUID and ROOK_SECRET_KEY", &text);
});
