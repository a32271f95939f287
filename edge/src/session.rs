//! Sessions: minting (`POST /v1/sessions`) and checking the widget's bearer
//! token. A session is self-contained and signed, so checking it needs no
//! storage: user, origins, scopes, actor and expiry are all in the claims.

use healthlink_shared::{AuditActor, CreateSessionRequest, Scope, find_source};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::cors::normalize_origin;
use crate::error::ApiError;
use crate::return_url::check_return_url;
use crate::signing::{Expiring, Signer, TokenError, TokenKind};
use crate::user_id::UserId;

pub const DEFAULT_TTL_SECONDS: u32 = 15 * 60;
pub const MIN_TTL_SECONDS: u32 = 60;
pub const MAX_TTL_SECONDS: u32 = 60 * 60;

/// What a session token says. Short field names keep the token short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// The user the session is for.
    pub sub: String,
    /// Embedding origins the session may be used from.
    pub org: Vec<String>,
    pub scp: Vec<Scope>,
    /// Someone acting for the user, recorded in the audit trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loc: Option<String>,
    /// Sources the widget offers (`None`: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src: Option<Vec<String>>,
    /// Default return URL for redirect flows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ret: Option<String>,
    /// Issued and expiry times, Unix seconds.
    pub iat: i64,
    pub exp: i64,
}

impl Expiring for SessionClaims {
    fn expires_at(&self) -> i64 {
        self.exp
    }
}

impl SessionClaims {
    pub fn user(&self) -> Result<UserId, ApiError> {
        // Signed by us, so valid; re-checked anyway as a second line.
        UserId::parse(&self.sub).map_err(|_| ApiError::Unauthorized)
    }

    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scp.contains(&scope) {
            return Ok(());
        }
        Err(ApiError::MissingScope {
            scope: match scope {
                Scope::Read => "read",
                Scope::Connect => "connect",
                Scope::Disconnect => "disconnect",
                Scope::Delete => "delete",
            },
        })
    }

    /// Whether the widget may act on `source` under this session.
    pub fn offers(&self, source: &str) -> bool {
        self.src
            .as_ref()
            .is_none_or(|sources| sources.iter().any(|s| s == source))
    }

    /// Who is acting, for the audit trail.
    pub fn actor(&self) -> AuditActor {
        self.act
            .clone()
            .map_or(AuditActor::User, AuditActor::OnBehalf)
    }

    /// The request's `Origin` (if any) must be one this session is bound to,
    /// or the edge's own. Requests without `Origin` are not cross-origin
    /// browser requests, so there is no embedding page to check.
    pub fn check_origin(&self, origin: Option<&str>, edge_origin: &str) -> Result<(), ApiError> {
        let Some(origin) = origin else { return Ok(()) };
        match normalize_origin(origin) {
            Some(origin) if origin == edge_origin || self.org.contains(&origin) => Ok(()),
            _ => Err(ApiError::OriginNotAllowed),
        }
    }
}

/// Validates a session request and signs the claims. `embed_origins` are
/// the origins the session may be bound to (and is, unless the request names
/// a subset). `now` is Unix seconds. Returns the token and its expiry.
pub fn mint(
    request: CreateSessionRequest,
    config: &Config,
    embed_origins: &[String],
    signer: &Signer,
    now: i64,
) -> Result<(String, i64), ApiError> {
    let user = UserId::parse(&request.user_id)?;
    let ttl = request.ttl_seconds.unwrap_or(DEFAULT_TTL_SECONDS);
    if !(MIN_TTL_SECONDS..=MAX_TTL_SECONDS).contains(&ttl) {
        return Err(invalid(format!(
            "ttl_seconds must be between {MIN_TTL_SECONDS} and {MAX_TTL_SECONDS}."
        )));
    }
    let mut scopes = request.scopes.unwrap_or_else(|| Scope::ALL.to_vec());
    scopes.sort();
    scopes.dedup();
    if scopes.is_empty() {
        return Err(invalid("scopes must name at least one scope.".into()));
    }
    check_actor(request.actor_id.as_deref())?;
    check_sources(request.sources.as_deref())?;
    check_locale(request.locale.as_deref())?;
    if let Some(return_url) = &request.return_url {
        check_return_url(return_url, &config.return_urls).ok_or(ApiError::ReturnUrlNotAllowed)?;
    }
    let origins = match request.origins {
        None => embed_origins.to_vec(),
        Some(origins) => origins
            .iter()
            .map(|origin| {
                normalize_origin(origin)
                    .filter(|origin| embed_origins.contains(origin))
                    .ok_or(ApiError::OriginNotAllowed)
            })
            .collect::<Result<_, _>>()?,
    };
    let exp = now + i64::from(ttl);
    let claims = SessionClaims {
        sub: user.as_str().to_owned(),
        org: origins,
        scp: scopes,
        act: request.actor_id,
        loc: request.locale,
        src: request.sources,
        ret: request.return_url,
        iat: now,
        exp,
    };
    Ok((signer.sign(TokenKind::Session, &claims), exp))
}

/// `actor_id`, when given: a user-id-shaped name that never reads as an
/// actor kind. (Sessions and hosted links take the same one.)
pub fn check_actor(actor: Option<&str>) -> Result<(), ApiError> {
    let Some(actor) = actor else { return Ok(()) };
    UserId::parse(actor).map_err(|_| {
        invalid(
            "actor_id follows the user id rules: 1–50 characters of A–Z a–z 0–9 . _ : @ -.".into(),
        )
    })?;
    // The audit trail spells the user, the backend and the aggregator
    // with these words; an actor_id must never read as one of them.
    if AuditActor::RESERVED.contains(&actor) {
        return Err(invalid(format!(
            "actor_id may not be `{actor}`: that word names an actor kind in the audit trail."
        )));
    }
    Ok(())
}

/// `sources`, when given: at least one, each a known source id.
pub fn check_sources(sources: Option<&[String]>) -> Result<(), ApiError> {
    let Some(sources) = sources else {
        return Ok(());
    };
    if sources.is_empty() {
        return Err(invalid(
            "sources, when given, must name at least one source.".into(),
        ));
    }
    if let Some(unknown) = sources.iter().find(|id| find_source(id).is_none()) {
        return Err(invalid(format!(
            "sources has an unknown source id {unknown:?}."
        )));
    }
    Ok(())
}

/// `locale`, when given: shaped like a language tag.
pub fn check_locale(locale: Option<&str>) -> Result<(), ApiError> {
    let Some(locale) = locale else { return Ok(()) };
    let plain = !locale.is_empty()
        && locale.len() <= 35
        && locale
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !plain {
        return Err(invalid(
            "locale must be a language tag like en or de-CH.".into(),
        ));
    }
    Ok(())
}

/// Checks a widget request's session token (the `Authorization` header).
pub fn verify(
    authorization: Option<&str>,
    signer: &Signer,
    now: i64,
) -> Result<SessionClaims, ApiError> {
    let token = authorization
        .and_then(bearer_token)
        .ok_or(ApiError::Unauthorized)?;
    signer
        .verify(TokenKind::Session, token, now)
        .map_err(|error| match error {
            TokenError::Expired => ApiError::SessionExpired,
            TokenError::Malformed | TokenError::BadSignature => ApiError::Unauthorized,
        })
}

/// Checks the host backend's API key, in constant time.
pub fn verify_api_key(authorization: Option<&str>, config: &Config) -> Result<(), ApiError> {
    if bearer_matches(authorization, &config.api_key) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// Whether an `Authorization: Bearer <secret>` header carries exactly
/// `expected`, compared in constant time (for equal lengths).
pub fn bearer_matches(authorization: Option<&str>, expected: &str) -> bool {
    let Some(given) = authorization.and_then(bearer_token) else {
        return false;
    };
    let (expected, given) = (expected.as_bytes(), given.as_bytes());
    let differences = expected
        .iter()
        .zip(given)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    !expected.is_empty() && differences == 0 && expected.len() == given.len()
}

/// The credentials of a `Bearer` authorization header (scheme
/// case-insensitive).
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

pub(crate) fn invalid(detail: String) -> ApiError {
    ApiError::InvalidRequest { detail }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::{TEST_API_KEY, TEST_SIGNING_KEY, test_config};

    const NOW: i64 = 1_800_000_000;

    fn signer() -> Signer {
        Signer::new(TEST_SIGNING_KEY.as_bytes())
    }

    fn request(user: &str) -> CreateSessionRequest {
        CreateSessionRequest {
            user_id: user.into(),
            ..Default::default()
        }
    }

    fn mint_claims(request: CreateSessionRequest) -> Result<SessionClaims, ApiError> {
        let (token, _) = mint(
            request,
            &test_config(),
            &test_config().allowed_origins,
            &signer(),
            NOW,
        )?;
        verify(Some(&format!("Bearer {token}")), &signer(), NOW)
    }

    #[test]
    fn defaults_bind_all_scopes_all_origins_and_fifteen_minutes() {
        let claims = mint_claims(request("alice")).unwrap();
        assert_eq!(claims.sub, "alice");
        assert_eq!(claims.scp, Scope::ALL);
        assert_eq!(claims.org, ["https://app.example.com"]);
        assert_eq!(claims.exp - claims.iat, 900);
        assert_eq!(claims.actor(), AuditActor::User);
    }

    #[test]
    fn request_fields_are_validated() {
        let check = |request: CreateSessionRequest, code: &str| {
            let error = mint(
                request,
                &test_config(),
                &test_config().allowed_origins,
                &signer(),
                NOW,
            )
            .unwrap_err();
            assert_eq!(error.code(), code);
        };
        check(request("a/b"), "invalid_user_id");
        check(request(&"a".repeat(51)), "invalid_user_id");
        for ttl in [0, 59, 3601] {
            check(
                CreateSessionRequest {
                    ttl_seconds: Some(ttl),
                    ..request("alice")
                },
                "invalid_request",
            );
        }
        check(
            CreateSessionRequest {
                scopes: Some(vec![]),
                ..request("alice")
            },
            "invalid_request",
        );
        check(
            CreateSessionRequest {
                sources: Some(vec!["myspace".into()]),
                ..request("alice")
            },
            "invalid_request",
        );
        for actor in ["dr who", "backend", "aggregator", "user"] {
            check(
                CreateSessionRequest {
                    actor_id: Some(actor.into()),
                    ..request("alice")
                },
                "invalid_request",
            );
        }
        check(
            CreateSessionRequest {
                locale: Some("en_US<script>".into()),
                ..request("alice")
            },
            "invalid_request",
        );
        check(
            CreateSessionRequest {
                return_url: Some("https://evil.example/".into()),
                ..request("alice")
            },
            "return_url_not_allowed",
        );
        check(
            CreateSessionRequest {
                origins: Some(vec!["https://evil.example".into()]),
                ..request("alice")
            },
            "origin_not_allowed",
        );
    }

    #[test]
    fn expired_forged_and_foreign_tokens_are_refused() {
        let (token, exp) = mint(
            request("alice"),
            &test_config(),
            &test_config().allowed_origins,
            &signer(),
            NOW,
        )
        .unwrap();
        let header = format!("Bearer {token}");
        assert_eq!(
            verify(Some(&header), &signer(), exp).unwrap_err(),
            ApiError::SessionExpired
        );
        let foreign = Signer::new(b"another key that is long enough....");
        assert_eq!(
            verify(Some(&header), &foreign, NOW).unwrap_err(),
            ApiError::Unauthorized
        );
        for header in [
            None,
            Some("Bearer"),
            Some("Basic abc"),
            Some("Bearer hls1.x.y"),
        ] {
            assert_eq!(
                verify(header, &signer(), NOW).unwrap_err(),
                ApiError::Unauthorized
            );
        }
    }

    #[test]
    fn scopes_sources_and_origins_are_enforced() {
        let claims = mint_claims(CreateSessionRequest {
            scopes: Some(vec![Scope::Read]),
            sources: Some(vec!["oura".into()]),
            ..request("alice")
        })
        .unwrap();
        assert!(claims.require(Scope::Read).is_ok());
        assert_eq!(
            claims.require(Scope::Disconnect).unwrap_err().code(),
            "missing_scope"
        );
        assert!(claims.offers("oura") && !claims.offers("fitbit"));
        let edge = "https://edge.example.com";
        assert!(claims.check_origin(None, edge).is_ok());
        assert!(
            claims
                .check_origin(Some("https://app.example.com"), edge)
                .is_ok()
        );
        assert!(claims.check_origin(Some(edge), edge).is_ok());
        assert_eq!(
            claims.check_origin(Some("https://other.example"), edge),
            Err(ApiError::OriginNotAllowed)
        );
    }

    #[test]
    fn api_key_must_match_exactly() {
        let config = test_config();
        assert!(verify_api_key(Some(&format!("Bearer {TEST_API_KEY}")), &config).is_ok());
        for header in [
            None,
            Some(format!("Bearer {TEST_API_KEY}x")),
            Some(format!("Bearer {}", &TEST_API_KEY[1..])),
            Some(format!("Basic {TEST_API_KEY}")),
        ] {
            assert_eq!(
                verify_api_key(header.as_deref(), &config),
                Err(ApiError::Unauthorized)
            );
        }
    }
}
