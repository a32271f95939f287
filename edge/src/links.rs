//! Hosted connect links, decided: what `POST /v1/links` may ask for, the
//! sealed token in the link's URL and the sealed id the host's backend
//! names it by, and whether a link may still be opened.
//!
//! The token opens the link and the id only names it, so the id can be
//! listed, logged and audited while the token stays with the person it was
//! sent to. Both are sealed ([`crate::sealing`]): neither shows the user
//! id. What a link allows (sources, language, return URL, single use) and
//! where it stands (opened, consumed, revoked) is its [`LinkRecord`], kept
//! in the user's Durable Object, so revocation and erasure end a link even
//! though its token has not expired.

use healthlink_shared::{
    AuditAction, AuditActor, AuditResult, CreateLinkRequest, CreateSessionRequest, LinkCreated,
    LinkState, LinkSummary,
};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::ApiError;
use crate::return_url::check_link_return_url;
use crate::sealing::{SealedKind, Sealer};
use crate::session::{check_actor, check_locale, check_sources, invalid};
use crate::signing::{Expiring, Signer, TokenKind};
use crate::time::rfc3339_from_unix_ms;
use crate::user_id::UserId;

/// A mobile hand-off takes minutes.
pub const DEFAULT_LINK_SECONDS: u32 = 15 * 60;
pub const MIN_LINK_SECONDS: u32 = 60;
/// An invitation by e-mail may wait a week.
pub const MAX_LINK_SECONDS: u32 = 7 * 24 * 60 * 60;

/// What the link's URL carries, sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkClaims {
    /// The link's own random id (its record's key in the user's object).
    pub lid: String,
    pub sub: String,
    /// Unix seconds.
    pub exp: i64,
}

/// What the link's id carries, sealed: which user's object holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRef {
    pub lid: String,
    pub sub: String,
}

/// A link as the user's object keeps it. Times are Unix ms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRecord {
    pub lid: String,
    /// The sealed id the host's backend knows it by.
    pub id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub single_use: bool,
    pub sources: Option<Vec<String>>,
    pub locale: Option<String>,
    pub actor: Option<String>,
    pub return_url: Option<String>,
    pub opened_at: Option<i64>,
    pub consumed_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Why a link does not open. Each has its own friendly page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkRefusal {
    /// Altered, sealed under another key, or its user erased: nothing to
    /// tell apart, and nothing to reveal.
    Unknown,
    Expired,
    Consumed,
    Revoked,
}

/// How opening a link ended, as the user's object answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum LinkOpening {
    /// Opened (and, if single-use, consumed): the record as it is now.
    Opened {
        record: Box<LinkRecord>,
    },
    Refused {
        refusal: LinkRefusal,
    },
}

/// What an audit row about a link says besides the link itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkAudit {
    pub at_ms: i64,
    pub actor: AuditActor,
    pub user_id: String,
    pub action: AuditAction,
    pub result: AuditResult,
    pub aggregator: String,
}

/// Records of links are kept this long after they expire, so the
/// backend's list still shows how recent links ended; then they go.
pub const KEPT_AFTER_EXPIRY_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// A link just minted: its record to keep and its answer to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintedLink {
    pub user: UserId,
    pub record: LinkRecord,
    pub created: LinkCreated,
}

/// Validates `POST /v1/links` and seals a new link. `fresh` gives values
/// from the runtime's CSPRNG (three are used: the link's id, the token's
/// seal and the id's seal). `edge_origin` is where the link's page is.
pub fn mint(
    request: CreateLinkRequest,
    config: &Config,
    sealer: &Sealer,
    fresh: &mut dyn FnMut() -> Result<String, ApiError>,
    edge_origin: &str,
    now_ms: i64,
) -> Result<MintedLink, ApiError> {
    let user = UserId::parse(&request.user_id)?;
    let seconds = request.expires_in.unwrap_or(DEFAULT_LINK_SECONDS);
    if !(MIN_LINK_SECONDS..=MAX_LINK_SECONDS).contains(&seconds) {
        return Err(invalid(format!(
            "expires_in must be between {MIN_LINK_SECONDS} seconds and {MAX_LINK_SECONDS} \
             (7 days)."
        )));
    }
    check_actor(request.actor_id.as_deref())?;
    check_sources(request.sources.as_deref())?;
    check_locale(request.locale.as_deref())?;
    if let Some(return_url) = &request.return_url {
        check_link_return_url(return_url, &config.return_urls)
            .ok_or(ApiError::ReturnUrlNotAllowed)?;
    }
    let lid = fresh()?;
    let expires_at = now_ms + i64::from(seconds) * 1000;
    let reference = LinkRef {
        lid: lid.clone(),
        sub: user.as_str().to_owned(),
    };
    let id = sealer.seal(SealedKind::LinkId, &reference, &fresh()?);
    let claims = LinkClaims {
        lid: lid.clone(),
        sub: user.as_str().to_owned(),
        exp: expires_at.div_euclid(1000),
    };
    let token = sealer.seal(SealedKind::LinkToken, &claims, &fresh()?);
    let record = LinkRecord {
        lid,
        id: id.clone(),
        created_at: now_ms,
        expires_at,
        single_use: request.single_use.unwrap_or(false),
        sources: request.sources,
        locale: request.locale,
        actor: request.actor_id,
        return_url: request.return_url,
        opened_at: None,
        consumed_at: None,
        revoked_at: None,
    };
    Ok(MintedLink {
        user,
        record,
        created: LinkCreated {
            id,
            url: format!("{edge_origin}/connect/{token}"),
            expires_at: rfc3339_from_unix_ms(expires_at),
        },
    })
}

/// Reads a link's token: which user's object to ask about which link.
pub fn read_token(sealer: &Sealer, token: &str, now_ms: i64) -> Result<LinkClaims, LinkRefusal> {
    let claims: LinkClaims = sealer
        .open(SealedKind::LinkToken, token)
        .map_err(|_| LinkRefusal::Unknown)?;
    if UserId::parse(&claims.sub).is_err() {
        return Err(LinkRefusal::Unknown);
    }
    if claims.exp * 1000 <= now_ms {
        return Err(LinkRefusal::Expired);
    }
    Ok(claims)
}

/// How long after a redirect flow's return its link's page may open again.
pub const RESUME_SECONDS: i64 = 10 * 60;

/// A grant to open one link's page again (see [`TokenKind::LinkResume`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ResumeClaims {
    lid: String,
    sub: String,
    exp: i64,
}

impl Expiring for ResumeClaims {
    fn expires_at(&self) -> i64 {
        self.exp
    }
}

/// The grant a redirect flow's return carries back to the link's page:
/// signed, for this link and user only, for [`RESUME_SECONDS`].
pub fn resume_grant(signer: &Signer, link: &LinkClaims, now_s: i64) -> String {
    let claims = ResumeClaims {
        lid: link.lid.clone(),
        sub: link.sub.clone(),
        exp: now_s + RESUME_SECONDS,
    };
    signer.sign(TokenKind::LinkResume, &claims)
}

/// Whether `grant` lets `link`'s page open again now.
pub fn resumes(signer: &Signer, grant: &str, link: &LinkClaims, now_s: i64) -> bool {
    signer
        .verify::<ResumeClaims>(TokenKind::LinkResume, grant, now_s)
        .is_ok_and(|claims| claims.lid == link.lid && claims.sub == link.sub)
}

/// Reads a link's id (`DELETE /v1/links/{id}`); anything else is not found.
pub fn read_id(sealer: &Sealer, id: &str) -> Result<(UserId, String), ApiError> {
    let reference: LinkRef = sealer
        .open(SealedKind::LinkId, id)
        .map_err(|_| ApiError::NotFound)?;
    let user = UserId::parse(&reference.sub).map_err(|_| ApiError::NotFound)?;
    Ok((user, reference.lid))
}

impl LinkRecord {
    pub fn state(&self, now_ms: i64) -> LinkState {
        if self.revoked_at.is_some() {
            LinkState::Revoked
        } else if self.consumed_at.is_some() {
            LinkState::Consumed
        } else if self.expires_at <= now_ms {
            LinkState::Expired
        } else {
            LinkState::Live
        }
    }

    /// Opens the link if it may be: marks it opened, and consumed if it is
    /// single-use (the audit row's result says which). The caller keeps the
    /// changed record before answering, so a single-use link opens once
    /// however many requests race.
    /// With `resume` (a redirect flow started on the page came back), a
    /// single-use link opens again without being used up once more.
    pub fn open(&mut self, now_ms: i64, resume: bool) -> Result<AuditResult, LinkRefusal> {
        match self.state(now_ms) {
            LinkState::Live => {}
            LinkState::Consumed if resume => {
                self.opened_at = Some(now_ms);
                return Ok(AuditResult::Opened);
            }
            LinkState::Revoked => return Err(LinkRefusal::Revoked),
            LinkState::Consumed => return Err(LinkRefusal::Consumed),
            LinkState::Expired => return Err(LinkRefusal::Expired),
        }
        self.opened_at = Some(now_ms);
        if self.single_use {
            self.consumed_at = Some(now_ms);
            return Ok(AuditResult::Consumed);
        }
        Ok(AuditResult::Opened)
    }

    /// The `source` of the link's audit rows: the sources it offers,
    /// comma-separated, or `*` for all.
    pub fn audit_source(&self) -> String {
        self.sources
            .as_ref()
            .map_or_else(|| "*".to_owned(), |sources| sources.join(","))
    }

    /// Revokes the link; `false` if it was revoked already.
    pub fn revoke(&mut self, now_ms: i64) -> bool {
        if self.revoked_at.is_some() {
            return false;
        }
        self.revoked_at = Some(now_ms);
        true
    }

    /// The session the link's page runs the widget with: the link's
    /// sources, language and actor. Web redirect flows return to the page
    /// itself, so the session names no return URL of its own.
    pub fn session_request(&self, user: &UserId) -> CreateSessionRequest {
        CreateSessionRequest {
            user_id: user.as_str().to_owned(),
            sources: self.sources.clone(),
            locale: self.locale.clone(),
            actor_id: self.actor.clone(),
            ..CreateSessionRequest::default()
        }
    }

    /// The link in the backend's list: everything but its token.
    pub fn summary(&self, now_ms: i64) -> LinkSummary {
        LinkSummary {
            id: self.id.clone(),
            state: self.state(now_ms),
            created_at: rfc3339_from_unix_ms(self.created_at),
            expires_at: rfc3339_from_unix_ms(self.expires_at),
            single_use: self.single_use,
            sources: self.sources.clone(),
            locale: self.locale.clone(),
            actor_id: self.actor.clone(),
            return_url: self.return_url.clone(),
            opened_at: self.opened_at.map(rfc3339_from_unix_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{VAR_ALLOWED_ORIGINS, VAR_RETURN_URLS};

    const NOW_MS: i64 = 1_800_000_000_000;
    const EDGE: &str = "https://edge.example.com";

    fn config() -> Config {
        crate::config::tests::parse(&[
            (VAR_ALLOWED_ORIGINS, "https://app.example.com"),
            (
                VAR_RETURN_URLS,
                "https://app.example.com/settings,acme://connected",
            ),
        ])
        .unwrap()
    }

    fn mint_with(request: CreateLinkRequest) -> Result<MintedLink, ApiError> {
        let mut n = 0;
        let mut fresh = move || {
            n += 1;
            Ok(format!("random-{n}"))
        };
        mint(
            request,
            &config(),
            &Sealer::new(b"k"),
            &mut fresh,
            EDGE,
            NOW_MS,
        )
    }

    fn request() -> CreateLinkRequest {
        CreateLinkRequest {
            user_id: "participant-17".into(),
            ..CreateLinkRequest::default()
        }
    }

    #[test]
    fn a_link_opens_its_users_record_and_shows_no_user_id() {
        let minted = mint_with(request()).unwrap();
        assert_eq!(minted.user.as_str(), "participant-17");
        assert_eq!(minted.record.expires_at, NOW_MS + 900_000);
        assert!(!minted.record.single_use);
        let token = minted
            .created
            .url
            .strip_prefix("https://edge.example.com/connect/")
            .unwrap();
        for public in [token, minted.created.id.as_str()] {
            assert!(!public.contains("participant"), "{public}");
        }
        assert_ne!(token, minted.created.id);
        let sealer = Sealer::new(b"k");
        let claims = read_token(&sealer, token, NOW_MS).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.lid.as_str()),
            ("participant-17", "random-1")
        );
        let (user, lid) = read_id(&sealer, &minted.created.id).unwrap();
        assert_eq!(
            (user.as_str(), lid.as_str()),
            ("participant-17", "random-1")
        );
        // The id names the link but does not open it, and the other way.
        assert_eq!(
            read_token(&sealer, &minted.created.id, NOW_MS),
            Err(LinkRefusal::Unknown)
        );
        assert_eq!(read_id(&sealer, token), Err(ApiError::NotFound));
        assert_eq!(
            minted.created.expires_at,
            rfc3339_from_unix_ms(NOW_MS + 900_000)
        );
    }

    #[test]
    fn tokens_expire_and_foreign_ones_are_unknown() {
        let minted = mint_with(CreateLinkRequest {
            expires_in: Some(60),
            ..request()
        })
        .unwrap();
        let token = minted.created.url.rsplit('/').next().unwrap();
        let sealer = Sealer::new(b"k");
        assert!(read_token(&sealer, token, NOW_MS + 59_999).is_ok());
        assert_eq!(
            read_token(&sealer, token, NOW_MS + 60_000),
            Err(LinkRefusal::Expired)
        );
        assert_eq!(
            read_token(&Sealer::new(b"other"), token, NOW_MS),
            Err(LinkRefusal::Unknown)
        );
        assert_eq!(
            read_token(&sealer, "hll1.garbage", NOW_MS),
            Err(LinkRefusal::Unknown)
        );
    }

    #[test]
    fn lifetimes_are_from_a_minute_to_a_week() {
        for (seconds, ok) in [
            (59, false),
            (60, true),
            (604_800, true),
            (604_801, false),
            (0, false),
        ] {
            let result = mint_with(CreateLinkRequest {
                expires_in: Some(seconds),
                ..request()
            });
            assert_eq!(result.is_ok(), ok, "{seconds}");
        }
    }

    #[test]
    fn requests_are_checked_like_sessions() {
        let refused = |request: CreateLinkRequest| mint_with(request).unwrap_err();
        assert_eq!(
            refused(CreateLinkRequest {
                user_id: "has space".into(),
                ..request()
            }),
            ApiError::InvalidUserId
        );
        for request in [
            CreateLinkRequest {
                sources: Some(vec!["myspace".into()]),
                ..request()
            },
            CreateLinkRequest {
                sources: Some(vec![]),
                ..request()
            },
            CreateLinkRequest {
                locale: Some("de_DE; drop".into()),
                ..request()
            },
            CreateLinkRequest {
                actor_id: Some("backend".into()),
                ..request()
            },
        ] {
            assert!(matches!(refused(request), ApiError::InvalidRequest { .. }));
        }
    }

    #[test]
    fn links_return_to_listed_pages_and_app_links_only() {
        for (url, ok) in [
            ("acme://connected", true),
            ("https://app.example.com/settings/done", true),
            ("acme://connected.evil", false),
            ("acme-app://connected", false),
            ("https://evil.example/", false),
        ] {
            let result = mint_with(CreateLinkRequest {
                return_url: Some(url.into()),
                ..request()
            });
            match ok {
                true => assert!(result.is_ok(), "{url}"),
                false => assert_eq!(result.unwrap_err(), ApiError::ReturnUrlNotAllowed, "{url}"),
            }
        }
    }

    #[test]
    fn single_use_links_open_once_and_revoked_ones_never() {
        let mut record = mint_with(CreateLinkRequest {
            single_use: Some(true),
            ..request()
        })
        .unwrap()
        .record;
        assert_eq!(record.state(NOW_MS), LinkState::Live);
        assert_eq!(record.open(NOW_MS + 1, false), Ok(AuditResult::Consumed));
        assert_eq!(record.opened_at, Some(NOW_MS + 1));
        assert_eq!(record.open(NOW_MS + 2, false), Err(LinkRefusal::Consumed));
        assert_eq!(record.summary(NOW_MS + 2).state, LinkState::Consumed);

        let mut reusable = mint_with(request()).unwrap().record;
        assert_eq!(reusable.open(NOW_MS + 1, false), Ok(AuditResult::Opened));
        assert_eq!(reusable.open(NOW_MS + 2, false), Ok(AuditResult::Opened));
        assert_eq!(reusable.audit_source(), "*");
        assert!(reusable.revoke(NOW_MS + 3));
        assert!(!reusable.revoke(NOW_MS + 4));
        assert_eq!(reusable.revoked_at, Some(NOW_MS + 3));
        assert_eq!(reusable.open(NOW_MS + 5, false), Err(LinkRefusal::Revoked));
        assert_eq!(
            reusable.open(NOW_MS + 900_000, false),
            Err(LinkRefusal::Revoked)
        );

        // A redirect flow's return opens a used single-use link again, but
        // never a revoked or expired one.
        assert_eq!(record.open(NOW_MS + 3, true), Ok(AuditResult::Opened));
        assert_eq!(reusable.open(NOW_MS + 6, true), Err(LinkRefusal::Revoked));

        let mut late = mint_with(request()).unwrap().record;
        assert_eq!(
            late.open(NOW_MS + 900_000, false),
            Err(LinkRefusal::Expired)
        );
        assert_eq!(late.opened_at, None);
        assert_eq!(late.open(NOW_MS + 900_000, true), Err(LinkRefusal::Expired));
    }

    #[test]
    fn a_resume_grant_is_for_its_link_and_user_and_short_lived() {
        let signer = Signer::new(b"k");
        let link = LinkClaims {
            lid: "l1".into(),
            sub: "alice".into(),
            exp: 2_000_000_000,
        };
        let grant = resume_grant(&signer, &link, 1_000);
        assert!(resumes(&signer, &grant, &link, 1_000 + RESUME_SECONDS - 1));
        assert!(!resumes(&signer, &grant, &link, 1_000 + RESUME_SECONDS));
        let other = LinkClaims {
            lid: "l2".into(),
            ..link.clone()
        };
        assert!(!resumes(&signer, &grant, &other, 1_001));
        let bob = LinkClaims {
            sub: "bob".into(),
            ..link.clone()
        };
        assert!(!resumes(&signer, &grant, &bob, 1_001));
        assert!(!resumes(&Signer::new(b"other"), &grant, &link, 1_001));
        let session = signer.sign(TokenKind::Session, &serde_json::json!({"exp": 5_000}));
        assert!(!resumes(&signer, &session, &link, 1_001));
    }

    #[test]
    fn the_page_session_carries_what_the_link_allows() {
        let minted = mint_with(CreateLinkRequest {
            sources: Some(vec!["garmin".into()]),
            locale: Some("de".into()),
            actor_id: Some("nurse-4".into()),
            return_url: Some("acme://connected".into()),
            ..request()
        })
        .unwrap();
        let session = minted.record.session_request(&minted.user);
        assert_eq!(session.user_id, "participant-17");
        assert_eq!(session.sources, Some(vec!["garmin".to_owned()]));
        assert_eq!(session.locale.as_deref(), Some("de"));
        assert_eq!(session.actor_id.as_deref(), Some("nurse-4"));
        assert_eq!(session.return_url, None);
        assert_eq!(minted.record.audit_source(), "garmin");
        let summary = minted.record.summary(NOW_MS);
        assert_eq!(summary.id, minted.created.id);
        assert_eq!(summary.return_url.as_deref(), Some("acme://connected"));
        let listed = serde_json::to_string(&summary).unwrap();
        assert!(!listed.contains("hll1"), "{listed}");
    }
}
