//! Hosted connect links: minted, listed and revoked by the host's backend
//! (API key), and opened by whoever holds one — the page with the widget,
//! or a page that says what to do. The decisions are `crate::links`.

use healthlink_shared::{AuditAction, AuditActor, AuditResult, CreateLinkRequest, LinkList};
use url::Url;

use super::edge::{Edge, Runtime};
use super::reply::{HTML, Reply};
use crate::aggregator::Aggregator;
use crate::error::ApiError;
use crate::link_pages::{PageLanguage, link_page, link_page_headers, refusal_page};
use crate::links::{self, LinkAudit, LinkOpening, LinkRefusal};
use crate::request_body::parse_json;
use crate::return_url::check_link_return_url;
use crate::sealing::Sealer;
use crate::session;
use crate::user_id::UserId;
use crate::user_store::UserStore;

impl<A: Aggregator, S: UserStore, R: Runtime> Edge<'_, A, S, R> {
    fn sealer(&self) -> Sealer {
        Sealer::new(self.config.signing_key.as_bytes())
    }

    fn link_audit(
        &self,
        user: &UserId,
        actor: AuditActor,
        action: AuditAction,
        result: AuditResult,
    ) -> LinkAudit {
        LinkAudit {
            at_ms: self.runtime.now_ms(),
            actor,
            user_id: user.as_str().to_owned(),
            action,
            result,
            aggregator: self.aggregator.name().to_owned(),
        }
    }

    /// `POST /v1/links`: a new link, kept in the user's object before its
    /// URL is handed out.
    pub(crate) async fn create_link(&self, body: &str) -> Result<Reply, ApiError> {
        let request: CreateLinkRequest = parse_json(body)?;
        let mut fresh = || self.runtime.nonce();
        let minted = links::mint(
            request,
            self.config,
            &self.sealer(),
            &mut fresh,
            self.edge_origin,
            self.runtime.now_ms(),
        )?;
        let audit = self.link_audit(
            &minted.user,
            AuditActor::Backend,
            AuditAction::LinkCreate,
            AuditResult::Issued,
        );
        self.store
            .put_hosted_link(&minted.user, &minted.record, audit)
            .await?;
        Ok(Reply::json(201, &minted.created)?.no_store())
    }

    /// `DELETE /v1/links/{id}`: 204 whether it was live or ended already;
    /// 404 for an id that names no link.
    pub(crate) async fn revoke_link(&self, id: &str) -> Result<Reply, ApiError> {
        let (user, lid) = links::read_id(&self.sealer(), id)?;
        let audit = self.link_audit(
            &user,
            AuditActor::Backend,
            AuditAction::LinkRevoke,
            AuditResult::Revoked,
        );
        match self.store.revoke_hosted_link(&user, &lid, audit).await? {
            Some(_) => Ok(Reply::empty(204)),
            None => Err(ApiError::NotFound),
        }
    }

    /// `GET /v1/users/{user_id}/links`: every link kept, without tokens.
    pub(crate) async fn list_links(&self, user: &UserId) -> Result<Reply, ApiError> {
        let now_ms = self.runtime.now_ms();
        let links = self
            .store
            .hosted_links(user)
            .await?
            .iter()
            .map(|record| record.summary(now_ms))
            .collect();
        Ok(Reply::json(200, &LinkList { links })?.no_store())
    }

    /// `GET /connect/<token>`: the link's page with a session minted for
    /// it, bound to this origin alone; or the page for a link that does
    /// not open. Always HTML, never cached, never referred.
    /// A redirect flow started on the page comes back to it with a
    /// `healthlink_resume` grant (see [`Edge::with_link_resume`]).
    pub(crate) async fn open_link(
        &self,
        token: &str,
        accept_language: Option<&str>,
        query: &[(String, String)],
    ) -> Result<Reply, ApiError> {
        let now_ms = self.runtime.now_ms();
        let refused = |refusal: LinkRefusal, locale: Option<&str>| {
            let lang = PageLanguage::negotiate(locale, accept_language);
            let (status, html) = refusal_page(&self.config.app_name, lang, refusal);
            page_reply(html, status)
        };
        let claims = match links::read_token(&self.sealer(), token, now_ms) {
            Ok(claims) => claims,
            Err(refusal) => return Ok(refused(refusal, None)),
        };
        let user = UserId::parse(&claims.sub).map_err(|_| ApiError::NotFound)?;
        let audit = self.link_audit(
            &user,
            AuditActor::User,
            AuditAction::LinkOpen,
            AuditResult::Opened,
        );
        let resume = query
            .iter()
            .find(|(name, _)| name == RESUME_PARAM)
            .is_some_and(|(_, grant)| {
                links::resumes(self.signer, grant, &claims, now_ms.div_euclid(1000))
            });
        let record = match self
            .store
            .open_hosted_link(&user, &claims.lid, audit, resume)
            .await?
        {
            LinkOpening::Opened { record } => record,
            LinkOpening::Refused { refusal } => return Ok(refused(refusal, None)),
        };
        let (session_token, _) = session::mint(
            record.session_request(&user),
            self.config,
            &[self.edge_origin.to_owned()],
            self.signer,
            now_ms.div_euclid(1000),
        )?;
        // Checked when minted; checked again, as the allowlist may have
        // changed since.
        let back: Option<Url> = record
            .return_url
            .as_deref()
            .and_then(|url| check_link_return_url(url, &self.config.return_urls));
        let lang = PageLanguage::negotiate(record.locale.as_deref(), accept_language);
        let html = link_page(
            &self.config.app_name,
            lang,
            self.edge_origin,
            &session_token,
            back.as_ref(),
        );
        Ok(page_reply(html, 200))
    }
}

/// The return URL parameter that carries a resume grant.
pub const RESUME_PARAM: &str = "healthlink_resume";

impl<A: Aggregator, S: UserStore, R: Runtime> Edge<'_, A, S, R> {
    /// Where a redirect flow's return goes: unchanged, unless it is a link
    /// page of this edge for `user`, which then gets a grant to open again
    /// (a single-use link was used up when the page first opened).
    pub(crate) fn with_link_resume(&self, location: String, user: &UserId) -> String {
        let Some(mut url) = crate::return_url::link_page_url(&location, self.edge_origin) else {
            return location;
        };
        let token = url.path().trim_start_matches("/connect/").to_owned();
        let now_ms = self.runtime.now_ms();
        match links::read_token(&self.sealer(), &token, now_ms) {
            Ok(claims) if claims.sub == user.as_str() => {
                let grant = links::resume_grant(self.signer, &claims, now_ms.div_euclid(1000));
                url.query_pairs_mut().append_pair(RESUME_PARAM, &grant);
                url.into()
            }
            _ => location,
        }
    }
}

/// A link page as the reply: its own CSP (the widget's wasm and API calls)
/// in place of the other edge pages' one.
fn page_reply(html: String, status: u16) -> Reply {
    link_page_headers()
        .into_iter()
        .fold(Reply::text(status, HTML, html), |reply, (name, value)| {
            reply.header(name, value.to_owned())
        })
}

#[cfg(test)]
mod tests {
    use healthlink_shared::{LinkCreated, LinkList, LinkState};

    use super::super::testing::{Harness, json};
    use crate::error::ApiError;
    use crate::handlers::reply::Reply;

    fn create(harness: &Harness, body: &str) -> Result<LinkCreated, ApiError> {
        harness
            .with_edge(async |edge| edge.create_link(body).await)
            .map(|reply| {
                assert_eq!(reply.status, 201);
                assert_eq!(reply.header_value("cache-control"), Some("no-store"));
                json(&reply)
            })
    }

    fn open(harness: &Harness, url: &str, language: Option<&str>) -> Reply {
        let token = url.rsplit('/').next().unwrap().to_owned();
        harness
            .with_edge(async |edge| edge.open_link(&token, language, &[]).await)
            .unwrap()
    }

    fn html(reply: &Reply) -> &str {
        &reply.body.as_ref().unwrap().text
    }

    fn listed(harness: &Harness, user: &str) -> LinkList {
        let user = harness.user(user);
        json(
            &harness
                .with_edge(async |edge| edge.list_links(&user).await)
                .unwrap(),
        )
    }

    fn revoke(harness: &Harness, id: &str) -> Result<u16, ApiError> {
        harness
            .with_edge(async |edge| edge.revoke_link(id).await)
            .map(|reply| reply.status)
    }

    #[test]
    fn a_link_opens_the_widget_for_its_user_on_this_origin() {
        let harness = Harness::sandbox();
        let link = create(
            &harness,
            r#"{"user_id":"alice","sources":["garmin"],"locale":"de","actor_id":"nurse-4"}"#,
        )
        .unwrap();
        assert!(
            link.url.starts_with("https://edge.example/connect/hll1."),
            "{}",
            link.url
        );
        let page = open(&harness, &link.url, Some("fr"));
        assert_eq!(page.status, 200);
        assert_eq!(page.header_value("referrer-policy"), Some("no-referrer"));
        assert_eq!(page.header_value("cache-control"), Some("no-store"));
        let csp: Vec<&str> = page
            .headers
            .iter()
            .filter(|(name, _)| *name == "content-security-policy")
            .map(|(_, value)| value.as_str())
            .collect();
        assert_eq!(csp, vec![crate::link_pages::LINK_PAGE_CSP]);
        let text = html(&page);
        assert!(
            text.contains("<html lang=\"de\">"),
            "the link's language wins"
        );
        let session = text
            .split("session=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap();
        let claims = harness.verify_session(session);
        assert_eq!(claims.sub, "alice");
        assert_eq!(claims.org, vec!["https://edge.example".to_owned()]);
        assert_eq!(claims.src, Some(vec!["garmin".to_owned()]));
        assert_eq!(claims.act.as_deref(), Some("nurse-4"));
        assert!(!text.contains("link-back"), "no return URL: no way back");
        assert_eq!(
            harness.trail("alice"),
            vec![
                ("link_create".into(), "issued".into(), "backend".into()),
                ("link_open".into(), "opened".into(), "user".into()),
            ]
        );
    }

    #[test]
    fn single_use_links_open_once() {
        let harness = Harness::sandbox();
        let link = create(&harness, r#"{"user_id":"alice","single_use":true}"#).unwrap();
        assert_eq!(open(&harness, &link.url, None).status, 200);
        let again = open(&harness, &link.url, Some("es"));
        assert_eq!(again.status, 410);
        assert!(html(&again).contains("Este enlace ya se ha usado"));
        assert!(!html(&again).contains("session="));
        assert_eq!(
            listed(&harness, "alice").links[0].state,
            LinkState::Consumed
        );
        assert_eq!(harness.trail("alice")[1].1, "consumed");
    }

    #[test]
    fn a_redirect_flow_comes_back_to_a_used_single_use_link() {
        let harness = Harness::sandbox();
        let link = create(&harness, r#"{"user_id":"alice","single_use":true}"#).unwrap();
        let other = create(&harness, r#"{"user_id":"alice","single_use":true}"#).unwrap();
        assert_eq!(open(&harness, &link.url, None).status, 200);
        assert_eq!(open(&harness, &other.url, None).status, 200);
        let alice = harness.user("alice");
        let back = |url: &str, user: &crate::user_id::UserId| {
            harness.with_edge(async |edge| {
                edge.with_link_resume(format!("{url}?healthlink_result=connected"), user)
            })
        };
        let returned = back(&link.url, &alice);
        let grant = returned
            .split("healthlink_resume=")
            .nth(1)
            .unwrap()
            .to_owned();
        let token = link.url.rsplit('/').next().unwrap().to_owned();
        let reopen = |token: &str, grant: &str| {
            let query = vec![("healthlink_resume".to_owned(), grant.to_owned())];
            harness
                .with_edge(async |edge| edge.open_link(token, None, &query).await)
                .unwrap()
        };
        assert_eq!(reopen(&token, &grant).status, 200);
        // The grant is this link's: another used link stays used.
        let other_token = other.url.rsplit('/').next().unwrap().to_owned();
        assert_eq!(reopen(&other_token, &grant).status, 410);
        assert_eq!(reopen(&token, "hlv1.forged.grant").status, 410);
        // Another user's flow gets no grant for this link.
        let bob = harness.user("bob");
        assert!(!back(&link.url, &bob).contains("healthlink_resume"));
        // Nor does any page but a link page of this edge.
        assert!(!back("https://app.example.com/settings", &alice).contains("healthlink_resume"));
        harness.advance_seconds(crate::links::RESUME_SECONDS);
        assert_eq!(
            reopen(&token, &grant).status,
            410,
            "the grant is short-lived"
        );
    }

    #[test]
    fn revoked_expired_and_tampered_links_get_their_page() {
        let harness = Harness::sandbox();
        let link = create(&harness, r#"{"user_id":"alice","expires_in":60}"#).unwrap();
        let revoked = create(&harness, r#"{"user_id":"alice"}"#).unwrap();
        assert_eq!(revoke(&harness, &revoked.id), Ok(204));
        assert_eq!(
            revoke(&harness, &revoked.id),
            Ok(204),
            "revoking twice is fine"
        );
        let page = open(&harness, &revoked.url, Some("pt-BR"));
        assert_eq!(page.status, 410);
        assert!(html(&page).contains("Esta ligação já não é válida"));

        let mut tampered = link.url.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        let page = open(&harness, &tampered, None);
        assert_eq!(page.status, 404);
        assert!(html(&page).contains("This link does not work"));

        harness.advance_seconds(61);
        let page = open(&harness, &link.url, Some("de"));
        assert_eq!(page.status, 410);
        assert!(html(&page).contains("Dieser Link ist abgelaufen"));

        assert_eq!(revoke(&harness, "hlk1.nothing"), Err(ApiError::NotFound));
        assert_eq!(revoke(&harness, &link.url), Err(ApiError::NotFound));
        let states: Vec<LinkState> = listed(&harness, "alice")
            .links
            .iter()
            .map(|l| l.state)
            .collect();
        assert_eq!(states, vec![LinkState::Revoked, LinkState::Expired]);
    }

    #[test]
    fn the_list_is_the_users_own_and_holds_no_token() {
        let harness = Harness::sandbox();
        let alice = create(&harness, r#"{"user_id":"alice"}"#).unwrap();
        create(&harness, r#"{"user_id":"bob"}"#).unwrap();
        let list = listed(&harness, "alice");
        assert_eq!(list.links.len(), 1);
        assert_eq!(list.links[0].id, alice.id);
        let text = serde_json::to_string(&list).unwrap();
        let token = alice.url.rsplit('/').next().unwrap();
        assert!(!text.contains(token) && !text.contains("hll1."), "{text}");
    }

    #[test]
    fn erasure_ends_every_link() {
        let harness = Harness::sandbox();
        let link = create(&harness, r#"{"user_id":"alice"}"#).unwrap();
        harness.backend_delete("/v1/users/alice").unwrap();
        let page = open(&harness, &link.url, None);
        assert_eq!(page.status, 404);
        assert!(listed(&harness, "alice").links.is_empty());
        assert_eq!(revoke(&harness, &link.id), Err(ApiError::NotFound));
    }

    #[test]
    fn minting_refuses_what_a_session_would_and_bad_lifetimes() {
        let harness = Harness::sandbox();
        for body in [
            r#"{"user_id":"alice","expires_in":59}"#,
            r#"{"user_id":"alice","expires_in":604801}"#,
            r#"{"user_id":"alice","sources":["myspace"]}"#,
            r#"{"user_id":"alice","unknown":1}"#,
            r#"{"user_id":"alice","single_use":"yes"}"#,
        ] {
            assert!(
                matches!(create(&harness, body), Err(ApiError::InvalidRequest { .. })),
                "{body}"
            );
        }
        assert_eq!(
            create(
                &harness,
                r#"{"user_id":"alice","return_url":"acme-evil://connected"}"#
            ),
            Err(ApiError::ReturnUrlNotAllowed)
        );
        assert!(listed(&harness, "alice").links.is_empty(), "nothing kept");
    }
}
