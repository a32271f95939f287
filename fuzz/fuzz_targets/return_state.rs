//! Return states: arbitrary text never verifies; a signed state round-trips
//! until it expires; changing any byte of it, presenting it as a session or
//! to another deployment's key is refused.
#![no_main]

use arbitrary::Arbitrary;
use healthlink_edge::error::ApiError;
use healthlink_edge::return_state::ReturnState;
use healthlink_edge::session;
use healthlink_edge::signing::{MAX_TOKEN_LEN, Signer};
use healthlink_fuzz::signer;
use healthlink_shared::{Flow, FlowAction};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    user: String,
    source: String,
    connect: bool,
    redirect: bool,
    return_url: Option<String>,
    opener: Option<String>,
    actor: String,
    nonce: String,
    expires_at: i64,
    now: i64,
    /// Which byte of the signed state to change, and how.
    flip_at: usize,
    flip_mask: u8,
    junk: String,
}

fuzz_target!(|input: Input| {
    let signer = signer();
    assert_eq!(
        ReturnState::verify(&input.junk, signer, input.now),
        Err(ApiError::InvalidState)
    );

    let state = ReturnState {
        u: input.user,
        s: input.source,
        a: if input.connect {
            FlowAction::Connect
        } else {
            FlowAction::Disconnect
        },
        f: if input.redirect {
            Flow::Redirect
        } else {
            Flow::Popup
        },
        r: input.return_url,
        o: input.opener,
        act: input.actor,
        n: input.nonce,
        exp: input.expires_at,
    };
    let token = state.sign(signer);
    let expected = if token.len() <= MAX_TOKEN_LEN && input.now < state.exp {
        Ok(state.clone())
    } else {
        Err(ApiError::InvalidState)
    };
    assert_eq!(ReturnState::verify(&token, signer, input.now), expected);

    // From here on, checked at a time the untouched state is still valid.
    let valid_at = state.exp.saturating_sub(1);
    let mut bytes = token.clone().into_bytes();
    bytes[input.flip_at % token.len()] ^= input.flip_mask.max(1);
    if let Ok(tampered) = String::from_utf8(bytes) {
        assert_eq!(
            ReturnState::verify(&tampered, signer, valid_at),
            Err(ApiError::InvalidState),
            "{tampered}"
        );
    }
    assert_eq!(
        session::verify(Some(&format!("Bearer {token}")), signer, valid_at),
        Err(ApiError::Unauthorized)
    );
    let other = Signer::new(b"another deployment's signing key, 32+ bytes");
    assert_eq!(
        ReturnState::verify(&token, &other, valid_at),
        Err(ApiError::InvalidState)
    );
});
