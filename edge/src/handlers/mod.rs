//! The edge's handlers: what each route does, in plain Rust. A handler is a
//! method of [`Edge`], generic over the aggregator, the user store and the
//! runtime (clock and randomness), and answers a [`Reply`] or an
//! [`ApiError`] — no `worker::` types, so every rule here is tested natively
//! against the in-memory store, the sandbox or a scripted aggregator.
//!
//! One module per concern: `sessions`, `status` (the list and
//! reconciliation), `connect` (connect, return, sandbox consent),
//! `disconnect`, `backend` (audit, erase), `sync` (the backend's data
//! reports), `events`, `webhooks`.

mod backend;
mod connect;
mod disconnect;
mod edge;
mod events;
mod links;
mod live;
pub mod reply;
mod sessions;
mod status;
mod sync;
mod webhooks;

#[cfg(test)]
mod testing;

use healthlink_shared::{AuditAction, Scope};

use crate::aggregator::Aggregator;
use crate::config::ConfigError;
use crate::error::ApiError;
use crate::request_body::parse_json;
use crate::routes::{Route, route};
use crate::session::{self, SessionClaims};
use crate::user_store::UserStore;
pub use edge::{Edge, Incoming, Runtime};
pub use reply::{Body, FollowUp, Reply};
pub use webhooks::WebhookFrom;

impl<A: Aggregator, S: UserStore, R: Runtime> Edge<'_, A, S, R> {
    /// What may be decided before a byte of the body is read: that the
    /// route exists, and that the caller is who the route needs (API key,
    /// session with scope and origin, webhook secret). Nothing costly or
    /// large is done for a caller who fails this.
    pub fn admit(&self, request: &Incoming<'_>) -> Result<Route, ApiError> {
        let route = route(request.method, request.path)?;
        match &route {
            Route::CreateSession
            | Route::UserConnections(_)
            | Route::UserDisconnect(..)
            | Route::UserDelete(..)
            | Route::UserSync(..)
            | Route::UserEvents(_)
            | Route::Redeliver(..)
            | Route::ResumeEvents
            | Route::UserAudit(_)
            | Route::UserAuditExport(_)
            | Route::CreateLink
            | Route::RevokeLink(_)
            | Route::UserLinks(_)
            | Route::DeleteUser(_) => self.backend(request)?,
            Route::Connections => {
                self.session(request, Scope::Read)?;
            }
            Route::Connect(_) => {
                self.session(request, Scope::Connect)?;
            }
            Route::Disconnect(_) => {
                self.session(request, Scope::Disconnect)?;
            }
            Route::Delete(_) => {
                self.session(request, Scope::Delete)?;
            }
            Route::LiveTicket => {
                self.session(request, Scope::Read)?;
            }
            Route::ThryveWebhook => {
                self.authenticate_webhook(WebhookFrom::Thryve, request.authorization)?
            }
            Route::RookWebhook => {
                self.authenticate_webhook(WebhookFrom::Rook, request.authorization)?
            }
            Route::DemoSession => self.demo_session_allowed(request.origin)?,
            Route::Live
            | Route::AuditKeys
            | Route::Healthz
            | Route::OpenApi
            | Route::Preflight
            | Route::Return
            | Route::SandboxConsent
            | Route::ConnectPage(_)
            | Route::DemoPage => {}
        }
        Ok(route)
    }

    /// Routes the request and runs its handler.
    pub async fn handle(&self, request: &Incoming<'_>) -> Result<Reply, ApiError> {
        match route(request.method, request.path)? {
            Route::Healthz => self.healthz().await,
            Route::OpenApi => Ok(Reply::text(
                200,
                reply::JSON,
                crate::openapi::OPENAPI_JSON.to_owned(),
            )),
            Route::Preflight => Ok(crate::cors::preflight_headers()
                .into_iter()
                .fold(Reply::empty(204), |reply, (name, value)| {
                    reply.header(name, value.to_owned())
                })),
            Route::CreateSession => {
                self.backend(request)?;
                self.create_session(parse_json(request.body)?)
            }
            Route::UserConnections(user) => {
                self.backend(request)?;
                self.backend_list(&user).await
            }
            Route::UserDisconnect(user, source) => {
                self.backend(request)?;
                self.backend_end(&user, source, AuditAction::Disconnect)
                    .await
            }
            Route::UserDelete(user, source) => {
                self.backend(request)?;
                self.backend_end(&user, source, AuditAction::Delete).await
            }
            Route::UserSync(user, source) => {
                self.backend(request)?;
                self.report_sync(&user, source, request.body).await
            }
            Route::UserEvents(user) => {
                self.backend(request)?;
                self.deliveries(&user).await
            }
            Route::Redeliver(user, id) => {
                self.backend(request)?;
                self.redeliver(&user, &id).await
            }
            Route::ResumeEvents => {
                self.backend(request)?;
                self.resume_events().await
            }
            Route::UserAudit(user) => {
                self.backend(request)?;
                self.audit(&user, request.query).await
            }
            Route::UserAuditExport(user) => {
                self.backend(request)?;
                self.audit_export(&user).await
            }
            Route::AuditKeys => self.audit_keys(),
            Route::DeleteUser(user) => {
                self.backend(request)?;
                self.erase_user(&user).await
            }
            Route::CreateLink => {
                self.backend(request)?;
                self.create_link(request.body).await
            }
            Route::RevokeLink(id) => {
                self.backend(request)?;
                self.revoke_link(&id).await
            }
            Route::UserLinks(user) => {
                self.backend(request)?;
                self.list_links(&user).await
            }
            Route::ConnectPage(token) => {
                self.open_link(&token, request.accept_language, request.query)
                    .await
            }
            Route::Connections => {
                let session = self.session(request, Scope::Read)?;
                self.widget_list(&session).await
            }
            Route::Connect(source) => {
                let session = self.session(request, Scope::Connect)?;
                let connect = parse_json(request.body)?;
                self.limit_attempts(&session.user()?).await?;
                self.connect(&session, source, connect, request.origin)
                    .await
            }
            Route::Disconnect(source) => {
                let session = self.session(request, Scope::Disconnect)?;
                self.widget_end(&session, source, AuditAction::Disconnect)
                    .await
            }
            Route::Delete(source) => {
                let session = self.session(request, Scope::Delete)?;
                self.widget_end(&session, source, AuditAction::Delete).await
            }
            Route::LiveTicket => self.live_ticket(request).await,
            Route::Live => self.live(request),
            Route::ThryveWebhook => self.thryve_webhook(request).await,
            Route::RookWebhook => self.rook_webhook(request),
            Route::Return => self.flow_return(request.query).await,
            Route::SandboxConsent => self.sandbox_consent(request.query),
            Route::DemoSession => self.demo_session(request.origin),
            Route::DemoPage if self.config.demo_enabled() => Ok(Reply::static_asset()),
            Route::DemoPage => Err(ApiError::NotFound),
        }
    }

    fn now(&self) -> i64 {
        self.runtime.now_ms() / 1000
    }

    /// The session of a widget request, checked for origin and `scope`.
    fn session(&self, request: &Incoming<'_>, scope: Scope) -> Result<SessionClaims, ApiError> {
        let claims = session::verify(request.authorization, self.signer, self.now())?;
        claims.check_origin(request.origin, self.edge_origin)?;
        claims.require(scope)?;
        Ok(claims)
    }

    /// Counts a widget's connect or disconnect attempt in the user's object,
    /// refusing it when there were too many (each may cost an upstream call
    /// on the operator's quota).
    async fn limit_attempts(&self, user: &crate::user_id::UserId) -> Result<(), ApiError> {
        self.store
            .attempt(user, self.runtime.now_ms(), self.config.attempts_per_minute)
            .await?
            .map_err(|retry_after_seconds| ApiError::TooManyAttempts {
                retry_after_seconds,
            })
    }

    /// The host backend's API key.
    fn backend(&self, request: &Incoming<'_>) -> Result<(), ApiError> {
        session::verify_api_key(request.authorization, self.config)
    }
}

/// `/healthz` with a broken configuration: 503 and every problem, so an
/// operator's probe says what to fix. Problems name variables, never values.
pub fn misconfigured(error: &ConfigError) -> Result<Reply, ApiError> {
    Reply::json(
        503,
        &serde_json::json!({
            "status": "misconfigured",
            "aggregator": error.aggregator,
            "demo": false,
            "problems": error.problems,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::testing::{EDGE_ORIGIN, Harness, json};
    use crate::config::{AggregatorConfig, Config};
    use crate::error::ApiError;

    fn without_demo(harness: Harness) -> Harness {
        Harness {
            config: Config {
                demo: false,
                ..harness.config
            },
            ..harness
        }
    }

    #[test]
    fn development_routes_exist_only_on_a_development_edge() {
        let own_return = format!("{EDGE_ORIGIN}/v1/return?state=x");
        let consent = [("source", "oura"), ("redirect_uri", own_return.as_str())];
        for harness in [Harness::thryve(), Harness::rook()] {
            assert_eq!(
                harness.get_query("/sandbox/connect", &consent).unwrap_err(),
                ApiError::NotFound
            );
            assert_eq!(
                harness
                    .post("/demo/session", Some(EDGE_ORIGIN), None, "")
                    .unwrap_err(),
                ApiError::NotFound
            );
            for page in ["/demo/", "/demo/demo.js", "/demo"] {
                assert_eq!(
                    harness.get_query(page, &[]).unwrap_err(),
                    ApiError::NotFound
                );
            }
        }
        // The sandbox without the demo: the consent page, but no demo.
        let sandbox = without_demo(Harness::sandbox());
        assert!(sandbox.get_query("/sandbox/connect", &consent).is_ok());
        assert_eq!(
            sandbox
                .post("/demo/session", Some(EDGE_ORIGIN), None, "")
                .unwrap_err(),
            ApiError::NotFound
        );
        assert_eq!(
            sandbox.get_query("/demo/", &[]).unwrap_err(),
            ApiError::NotFound
        );
        // A demo edge serves the page's files from the assets.
        let demo = Harness::sandbox();
        assert!(demo.get_query("/demo/", &[]).unwrap().static_asset);
    }

    #[test]
    fn healthz_says_which_aggregator_runs_whether_the_demo_is_on_and_where_state_lives() {
        let health = |harness: &Harness| -> serde_json::Value {
            json(&harness.get_query("/healthz", &[]).unwrap())
        };
        assert_eq!(
            health(&Harness::sandbox()),
            serde_json::json!({"status": "ok", "aggregator": "sandbox", "demo": true, "events": {"status": "off"}, "jurisdiction": null})
        );
        let mut eu = Harness::with_aggregator(AggregatorConfig::Rook(
            crate::config::tests::test_rook_config(),
        ));
        eu.config.jurisdiction = Some(crate::residency::Jurisdiction::Eu);
        assert_eq!(
            health(&eu),
            serde_json::json!({"status": "ok", "aggregator": "rook", "demo": false, "events": {"status": "off"}, "jurisdiction": "eu"})
        );
    }
}

#[cfg(test)]
mod admission_tests {
    use super::testing::{EDGE_ORIGIN, Harness};
    use super::{Incoming, Route};
    use crate::error::ApiError;

    fn admit(
        harness: &Harness,
        path: &str,
        authorization: Option<&str>,
    ) -> Result<Route, ApiError> {
        harness.with_edge(async |edge| {
            edge.admit(&Incoming {
                method: "POST",
                path,
                query: &[],
                authorization,
                origin: Some(EDGE_ORIGIN),
                body: "",
                upgrade_websocket: false,
                accept_language: None,
            })
        })
    }

    #[test]
    fn no_body_is_read_for_a_caller_who_is_not_let_in() {
        let harness = Harness::rook();
        for path in [
            "/v1/sessions",
            "/v1/connections/oura/connect",
            "/v1/connections/oura/disconnect",
            "/v1/users/alice/connections/oura/disconnect",
            "/v1/users/alice/connections/oura/sync",
        ] {
            assert_eq!(
                admit(&harness, path, None),
                Err(ApiError::Unauthorized),
                "{path}"
            );
            assert_eq!(
                admit(&harness, path, Some("Bearer forged")),
                Err(ApiError::Unauthorized),
                "{path}"
            );
        }
        assert_eq!(
            admit(&harness, "/v1/webhooks/rook", None),
            Err(ApiError::WebhookUnauthorized)
        );
        assert_eq!(
            admit(&harness, "/demo/session", None),
            Err(ApiError::NotFound)
        );
        assert_eq!(admit(&harness, "/nowhere", None), Err(ApiError::NotFound));
        // The right credentials are let in.
        let key = format!("Bearer {}", crate::config::tests::TEST_API_KEY);
        assert_eq!(
            admit(&harness, "/v1/sessions", Some(&key)),
            Ok(Route::CreateSession)
        );
        let secret = format!("Bearer {}", super::testing::WEBHOOK_SECRET);
        assert_eq!(
            admit(&harness, "/v1/webhooks/rook", Some(&secret)),
            Ok(Route::RookWebhook)
        );
    }
}
