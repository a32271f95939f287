//! Thryve's answers, webhooks and revoke redirects, and its error answers as
//! `classify` reads them: every parser gets the same arbitrary text.
#![no_main]

use healthlink_edge::aggregator::DisconnectOutcome;
use healthlink_edge::aggregator::thryve::{
    Webhook, parse_connection_token, parse_end_user_id, parse_webhook, revoke_outcome, thryve_id,
};
use healthlink_fuzz::check_error_answer;
use libfuzzer_sys::fuzz_target;
use url::Url;

/// An `endUserId` is stored and used as a storage key: 1–200 characters of
/// `[A-Za-z0-9._-]`, nothing else from the answer.
fn assert_end_user_id(id: &str) {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-_.".contains(&b);
    assert!(
        (1..=200).contains(&id.len()) && id.bytes().all(allowed),
        "{id:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    if let Some(id) = parse_end_user_id(&text) {
        assert_end_user_id(&id);
    }
    if let Some(token) = parse_connection_token(&text) {
        assert!((1..=500).contains(&token.len()), "{token:?}");
    }
    match parse_webhook(&text) {
        Ok(Webhook::Source(event)) => {
            assert_end_user_id(&event.end_user_id);
            assert!(thryve_id(event.source).is_some(), "{}", event.source.id);
        }
        Ok(Webhook::Ignored(reason)) => assert!(!reason.is_empty()),
        Err(problem) => assert!(!problem.is_empty()),
    }

    // A revoke counts as done only on `connected=false` (the first
    // `connected` parameter), as failed only on `connected=true`.
    let connected = Url::parse(&text).ok().and_then(|url| {
        url.query_pairs()
            .find(|(name, _)| name == "connected")
            .map(|(_, value)| value.into_owned())
    });
    let expected = match connected.as_deref() {
        Some("false") => Some(DisconnectOutcome::Disconnected),
        Some("true") => Some(DisconnectOutcome::StillConnected),
        _ => None,
    };
    assert_eq!(revoke_outcome(&text), expected, "{text:?}");

    check_error_answer(
        "Thryve",
        "THRYVE_USERNAME, THRYVE_PASSWORD, THRYVE_AUTH_ID and THRYVE_AUTH_SECRET",
        &text,
    );
});
