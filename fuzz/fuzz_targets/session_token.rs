//! Session tokens: no `Authorization` header verifies unless it carries,
//! exactly, a token this key minted; `bearer_token` only ever returns the
//! trimmed credentials of a `Bearer` header.
#![no_main]

use std::sync::LazyLock;

use healthlink_edge::error::ApiError;
use healthlink_edge::session::{bearer_token, mint, verify};
use healthlink_edge::signing::TokenKind;
use healthlink_fuzz::{NOW, config, signer};
use healthlink_shared::CreateSessionRequest;
use libfuzzer_sys::fuzz_target;

/// A genuine token, minted once, to splice the input onto.
static GENUINE: LazyLock<String> = LazyLock::new(|| {
    let request = CreateSessionRequest {
        user_id: "alice".into(),
        ..Default::default()
    };
    let config = config();
    let (token, _) = mint(request, config, &config.allowed_origins, signer(), NOW)
        .expect("the fuzz session request is valid");
    token
});

/// Whatever verifies must be a token we minted: signing its claims again
/// gives the presented token byte for byte.
fn check_header(header: &str) {
    match verify(Some(header), signer(), NOW) {
        Ok(claims) => assert_eq!(
            bearer_token(header),
            Some(signer().sign(TokenKind::Session, &claims).as_str())
        ),
        Err(error) => assert!(
            matches!(error, ApiError::Unauthorized | ApiError::SessionExpired),
            "{error:?}"
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    check_header(&input);
    check_header(&format!("Bearer {input}"));

    // A genuine token with anything but whitespace after it is refused.
    let spliced = format!("Bearer {}{input}", *GENUINE);
    assert_eq!(
        verify(Some(&spliced), signer(), NOW).is_ok(),
        input.trim().is_empty(),
        "{spliced:?}"
    );

    if let Some(token) = bearer_token(&input) {
        let header = input.trim();
        let scheme = header.get(..7).unwrap_or_default();
        assert!(scheme.eq_ignore_ascii_case("bearer "), "{header:?}");
        assert!(!token.is_empty() && token == token.trim() && header.ends_with(token));
    }
});
