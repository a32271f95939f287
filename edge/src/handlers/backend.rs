//! The host backend's routes that only it has (API key): the audit trail,
//! page by page, and erasing a user. (Its list and disconnect are the
//! widget's handlers with the backend as actor.)

use healthlink_shared::audit_export::{AuditExport, EXPORT_FORMAT, ExportSignature};
use healthlink_shared::{AuditPage, ConnectionStatus, find_source};

use super::edge::{Edge, Runtime};
use super::reply::Reply;
use crate::aggregator::{Aggregator, AggregatorError, DisconnectOutcome};
use crate::audit_signing::AuditSigner;
use crate::connections::connected_sources;
use crate::error::ApiError;
use crate::time::rfc3339_from_unix_ms;
use crate::user_id::UserId;
use crate::user_state::{ObjectName, audit_cursor};
use crate::user_store::{THRYVE_END_USER_LINK, UserStore};

/// Rows per audit page unless `limit` says otherwise, and the most it may.
const DEFAULT_AUDIT_LIMIT: u32 = 50;
const MAX_AUDIT_LIMIT: u32 = 100;

/// `?before=&limit=` of an audit request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditQuery {
    pub before: Option<i64>,
    pub limit: u32,
}

impl AuditQuery {
    pub fn parse(query: &[(String, String)]) -> Result<Self, ApiError> {
        let mut parsed = Self {
            before: None,
            limit: DEFAULT_AUDIT_LIMIT,
        };
        for (name, value) in query {
            match name.as_str() {
                "before" => {
                    parsed.before = Some(
                        audit_cursor(value)
                            .ok_or_else(|| ApiError::invalid("before must be an entry id."))?,
                    );
                }
                "limit" => {
                    parsed.limit = value
                        .parse::<u32>()
                        .ok()
                        .filter(|limit| (1..=MAX_AUDIT_LIMIT).contains(limit))
                        .ok_or_else(|| {
                            ApiError::invalid(format!(
                                "limit must be between 1 and {MAX_AUDIT_LIMIT}."
                            ))
                        })?;
                }
                _ => {}
            }
        }
        Ok(parsed)
    }
}

impl<A: Aggregator, S: UserStore, R: Runtime> Edge<'_, A, S, R> {
    pub(super) async fn audit(
        &self,
        user: &UserId,
        query: &[(String, String)],
    ) -> Result<Reply, ApiError> {
        let AuditQuery { before, limit } = AuditQuery::parse(query)?;
        // One extra row tells whether there is a next page.
        let mut rows = self.store.audit(user, before, limit + 1).await?;
        let has_more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_before = if has_more {
            rows.last().map(|row| row.id)
        } else {
            None
        };
        Reply::json(
            200,
            &AuditPage {
                entries: rows.into_iter().map(Into::into).collect(),
                next_before,
            },
        )
    }

    /// The user's whole trail as one signed document: every kept row with
    /// its hashes, the chain's head and pruning record, signed with the
    /// deployment's Ed25519 key. The body is the canonical bytes the
    /// signature covers, served as they are.
    pub(super) async fn audit_export(&self, user: &UserId) -> Result<Reply, ApiError> {
        let trail = self.store.audit_chain(user).await?;
        let export = AuditExport {
            format: EXPORT_FORMAT.to_owned(),
            user_id: user.to_string(),
            aggregator: self.aggregator.name().to_owned(),
            exported_at: rfc3339_from_unix_ms(self.runtime.now_ms()),
            chain: trail.chain,
            entries: trail.entries,
            signature: ExportSignature {
                alg: String::new(),
                kid: String::new(),
                value: String::new(),
            },
        };
        let body = AuditSigner::derive(&self.config.signing_key).sign(export);
        Ok(Reply::text(200, super::reply::JSON, body)
            .header("cache-control", "no-store".to_owned())
            .header(
                "content-disposition",
                "attachment; filename=\"healthlink-audit-export.json\"".to_owned(),
            ))
    }

    /// `GET /v1/audit/keys`: the public key set exports are signed with.
    /// Public by design: verifying needs no credentials.
    pub(super) fn audit_keys(&self) -> Result<Reply, ApiError> {
        Ok(Reply::json(
            200,
            &AuditSigner::derive(&self.config.signing_key).key_set(),
        )?
        .header("cache-control", "public, max-age=300".to_owned()))
    }

    /// Revokes what the user has connected, then erases everything stored
    /// for them. Revoke first: if the aggregator fails, nothing is erased
    /// and the operator can retry; erasing first would orphan live grants.
    /// The aggregator index goes before the user's object, so an erasure
    /// interrupted in between is finished by a retry and leaves no orphan.
    pub(super) async fn erase_user(&self, user: &UserId) -> Result<Reply, ApiError> {
        let stored = self.store.statuses(user).await?;
        // Every source the aggregator may hold, not only those on record:
        // where it has a status call, ask it first (a grant the edge never
        // heard of is still revoked).
        let mut held = connected_sources(&stored);
        if let Some(upstream) = self.aggregator.statuses(user, &stored).await? {
            for (id, status) in upstream {
                if matches!(
                    status,
                    ConnectionStatus::Connected | ConnectionStatus::Pending
                ) && !held.contains(&id)
                {
                    held.push(id);
                }
            }
        }
        for id in held {
            let source = find_source(id).ok_or(ApiError::Internal)?;
            if !self.aggregator.offers(source) {
                continue;
            }
            match self.aggregator.disconnect(user, source).await {
                Ok(DisconnectOutcome::StillConnected) => return Err(ApiError::DisconnectFailed),
                // An expired grant has nothing left to revoke.
                Ok(_) | Err(AggregatorError::GrantExpired) => {}
                Err(error) => return Err(error.into()),
            }
        }
        let now_ms = self.runtime.now_ms();
        self.aggregator.forget_user(user, now_ms).await?;
        let object = ObjectName::user(user);
        if let Some(end_user) = self.store.link(&object, THRYVE_END_USER_LINK).await? {
            self.store
                .erase(&ObjectName::thryve_index(&end_user), now_ms, None)
                .await?;
        }
        // The host learns of the erasure by its own event, the only thing
        // left in the emptied object until it is delivered.
        let erased =
            self.config.events.as_ref().map(|_| {
                crate::events::erased_event(user.as_str(), self.aggregator.name(), now_ms)
            });
        self.store.erase(&object, now_ms, erased).await?;
        Ok(Reply::empty(204))
    }
}

#[cfg(test)]
mod tests {
    use healthlink_shared::{AuditPage, ConnectionStatus};

    use healthlink_shared::audit_export::{AuditKeys, Verdict, keys_of, verify_export};

    use super::super::testing::{Harness, json, query};
    use super::*;
    use crate::user_state::ObjectName;
    use crate::user_store::memory::Op;

    #[test]
    fn audit_queries_are_checked() {
        assert_eq!(
            AuditQuery::parse(&[]),
            Ok(AuditQuery {
                before: None,
                limit: 50
            })
        );
        assert_eq!(
            AuditQuery::parse(&query(&[("before", "7"), ("limit", "100"), ("x", "y")])),
            Ok(AuditQuery {
                before: Some(7),
                limit: 100
            })
        );
        for (name, value) in [
            ("limit", "0"),
            ("limit", "101"),
            ("limit", "x"),
            ("before", "0"),
            ("before", "9007199254740992"),
        ] {
            assert!(
                matches!(
                    AuditQuery::parse(&query(&[(name, value)])),
                    Err(ApiError::InvalidRequest { .. })
                ),
                "{name}={value}"
            );
        }
    }

    #[test]
    fn audit_pages_go_back_in_time_and_end() {
        let harness = Harness::sandbox();
        for _ in 0..3 {
            harness.seed("alice", "oura", ConnectionStatus::Connected);
            harness
                .backend_post("/v1/users/alice/connections/oura/disconnect", "")
                .unwrap();
        }
        let first: AuditPage = json(
            &harness
                .backend_get_query("/v1/users/alice/audit", &[("limit", "2")])
                .unwrap(),
        );
        assert_eq!(first.entries.len(), 2);
        assert!(first.entries[0].id > first.entries[1].id, "newest first");
        let before = first.next_before.expect("a next page");
        assert_eq!(before, first.entries[1].id);
        let second: AuditPage = json(
            &harness
                .backend_get_query(
                    "/v1/users/alice/audit",
                    &[("limit", "2"), ("before", &before.to_string())],
                )
                .unwrap(),
        );
        assert_eq!(second.entries.len(), 1);
        assert_eq!(second.next_before, None, "the last page says so");
        assert!(second.entries[0].id < before);
    }

    fn export_of(harness: &Harness, user: &str) -> (String, Verdict) {
        let reply = harness
            .backend_get(&format!("/v1/users/{user}/audit/export"))
            .unwrap();
        assert_eq!(reply.header_value("cache-control"), Some("no-store"));
        let body = reply.body.unwrap().text;
        // The key set is public: no API key.
        let keys: AuditKeys = json(&harness.get_query("/v1/audit/keys", &[]).unwrap());
        let verdict = verify_export(body.as_bytes(), &keys_of(&keys)).unwrap();
        (body, verdict)
    }

    #[test]
    fn an_export_verifies_and_connects_record_the_consent_text_their_flow_showed() {
        let mut harness = Harness::sandbox();
        harness.config.consent.version = Some("2026-11".into());
        let state = harness.start_popup_connect("alice", "oura");
        // The operator publishes a new text while Alice is at the consent
        // page: her row records the text she was shown.
        harness.config.consent.version = Some("2026-12".into());
        harness
            .get_query("/v1/return", &[("state", &state), ("connected", "true")])
            .unwrap();
        harness
            .backend_post("/v1/users/alice/connections/oura/disconnect", "")
            .unwrap();
        let state = harness.start_popup_connect("alice", "garmin");
        harness
            .get_query("/v1/return", &[("state", &state), ("connected", "true")])
            .unwrap();
        harness
            .store
            .seed(&harness.user("bob"), "oura", ConnectionStatus::Connected);
        let (body, verdict) = export_of(&harness, "alice");
        assert!(verdict.holds(), "{verdict:?}");
        let export: AuditExport = serde_json::from_str(&body).unwrap();
        assert_eq!(export.user_id, "alice");
        assert_eq!(export.aggregator, "sandbox");
        let rows: Vec<(&str, &str, Option<&str>)> = export
            .entries
            .iter()
            .map(|entry| {
                (
                    entry.source.as_str(),
                    entry.action.as_str(),
                    entry.consent_version.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("oura", "connect", Some("2026-11")),
                ("oura", "disconnect", None),
                ("garmin", "connect", Some("2026-12")),
            ]
        );
        assert_eq!(export.chain.head_id, export.entries[2].id);
        assert!(export.chain.pruned.is_none());
        // The paginated trail shows the version too.
        let page: AuditPage = json(&harness.backend_get("/v1/users/alice/audit").unwrap());
        assert_eq!(page.entries[2].consent_version.as_deref(), Some("2026-11"));
        // Bob's trail is his own (empty: a seed writes no row) and verifies.
        let (body, verdict) = export_of(&harness, "bob");
        assert!(verdict.holds());
        assert!(
            serde_json::from_str::<AuditExport>(&body)
                .unwrap()
                .entries
                .is_empty()
        );
    }

    #[test]
    fn an_export_after_pruning_verifies_from_its_pruning_record() {
        let harness = Harness::sandbox();
        harness
            .store
            .retention
            .set(crate::user_state::AuditRetention {
                max_age_ms: 400 * 86_400_000,
                max_rows: 3,
            });
        for _ in 0..5 {
            harness.seed("alice", "oura", ConnectionStatus::Connected);
            harness
                .backend_post("/v1/users/alice/connections/oura/disconnect", "")
                .unwrap();
        }
        let (body, verdict) = export_of(&harness, "alice");
        assert!(verdict.holds(), "{verdict:?}");
        let export: AuditExport = serde_json::from_str(&body).unwrap();
        assert_eq!(export.entries.len(), 3);
        let pruned = export.chain.pruned.unwrap();
        assert_eq!(pruned.rows, 2);
        assert_eq!(pruned.through_id, export.entries[0].id - 1);
        assert_eq!(export.entries[0].prev_hash, pruned.last_hash);
    }

    #[test]
    fn a_webhooks_connect_records_the_text_in_force_and_link_rows_join_the_chain() {
        let mut harness = Harness::thryve_linked("alice", "eu-1");
        harness.config.consent.version = Some("v3".into());
        let auth = format!("Bearer {}", super::super::testing::WEBHOOK_SECRET);
        harness
            .post(
                "/v1/webhooks/thryve",
                None,
                Some(&auth),
                r#"{"type":"notification.source.connect","endUserId":"eu-1","dataSourceId":18}"#,
            )
            .unwrap();
        harness
            .backend_post("/v1/links", r#"{"user_id":"alice"}"#)
            .unwrap();
        let (body, verdict) = export_of(&harness, "alice");
        assert!(verdict.holds(), "{verdict:?}");
        let export: AuditExport = serde_json::from_str(&body).unwrap();
        let rows: Vec<(&str, Option<&str>)> = export
            .entries
            .iter()
            .map(|entry| (entry.action.as_str(), entry.consent_version.as_deref()))
            .collect();
        assert_eq!(rows, [("connect", Some("v3")), ("link_create", None)]);
        assert_eq!(export.entries[1].prev_hash, export.entries[0].hash);
    }

    #[test]
    fn an_export_needs_the_api_key_and_erasure_empties_it() {
        let harness = Harness::sandbox();
        assert_eq!(
            harness
                .get_query("/v1/users/alice/audit/export", &[])
                .unwrap_err(),
            ApiError::Unauthorized
        );
        harness.seed("alice", "oura", ConnectionStatus::Connected);
        harness
            .backend_post("/v1/users/alice/connections/oura/disconnect", "")
            .unwrap();
        harness.backend_delete("/v1/users/alice").unwrap();
        let (body, verdict) = export_of(&harness, "alice");
        assert!(verdict.holds());
        let export: AuditExport = serde_json::from_str(&body).unwrap();
        assert!(export.entries.is_empty());
        assert_eq!(export.chain.head_id, 0, "the chain's hashes went too");
    }

    #[test]
    fn erasure_revokes_first_and_erases_everything() {
        let harness = Harness::sandbox();
        harness.seed("alice", "oura", ConnectionStatus::Connected);
        assert_eq!(
            harness.backend_delete("/v1/users/alice").unwrap().status,
            204
        );
        assert!(
            !harness
                .store
                .holds(&ObjectName::user(&harness.user("alice")))
        );
    }

    #[test]
    fn a_failed_revoke_erases_nothing() {
        let harness = Harness::sandbox();
        harness.seed("fault-unavailable-1", "oura", ConnectionStatus::Connected);
        assert_eq!(
            harness
                .backend_delete("/v1/users/fault-unavailable-1")
                .unwrap_err(),
            ApiError::UpstreamUnavailable
        );
        harness.seed("fault-revoke-fails-1", "oura", ConnectionStatus::Connected);
        assert_eq!(
            harness
                .backend_delete("/v1/users/fault-revoke-fails-1")
                .unwrap_err(),
            ApiError::DisconnectFailed
        );
        assert!(!harness.store.ops().iter().any(|(op, _)| *op == Op::Erase));
        assert_eq!(
            harness.status("fault-unavailable-1", "oura"),
            ConnectionStatus::Connected
        );
    }

    #[test]
    fn an_erasure_interrupted_half_way_is_finished_by_a_retry() {
        let harness = Harness::thryve_linked("alice", "eu-1");
        let alice = harness.user("alice");
        let index = ObjectName::thryve_index("eu-1");
        // Thryve deletes the end user (twice: the retry asks again).
        harness.script(vec![
            crate::aggregator::http::testing::answer(204, ""),
            crate::aggregator::http::testing::answer(404, ""),
        ]);
        // The index is erased, then the user's object fails.
        harness.store.fail_on(Op::Erase, 2);
        assert_eq!(
            harness.backend_delete("/v1/users/alice").unwrap_err(),
            ApiError::Internal
        );
        assert!(!harness.store.holds(&index));
        assert!(
            harness.store.holds(&ObjectName::user(&alice)),
            "still findable for the retry"
        );
        assert_eq!(
            harness.backend_delete("/v1/users/alice").unwrap().status,
            204
        );
        assert!(!harness.store.holds(&ObjectName::user(&alice)));
        assert!(!harness.store.holds(&index));
        let erased: Vec<ObjectName> = harness
            .store
            .ops()
            .into_iter()
            .filter(|(op, _)| *op == Op::Erase)
            .map(|(_, object)| object)
            .collect();
        assert_eq!(
            erased,
            [
                index.clone(),
                ObjectName::user(&alice),
                index,
                ObjectName::user(&alice)
            ]
        );
    }

    #[test]
    fn nothing_minted_before_an_erasure_brings_the_user_back() {
        let harness = Harness::sandbox();
        let old_session = harness.session_with(r#"{"user_id":"alice"}"#);
        let old_auth = format!("Bearer {old_session}");
        // A return state issued before the erasure, still within its life.
        let started = harness
            .widget_post(
                "alice",
                "/v1/connections/oura/connect",
                r#"{"flow":"popup"}"#,
            )
            .unwrap();
        let url: healthlink_shared::ConnectResponse = json(&started);
        let state = url::Url::parse(
            &url::Url::parse(&url.url)
                .unwrap()
                .query_pairs()
                .find(|(name, _)| name == "redirect_uri")
                .unwrap()
                .1,
        )
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "state")
        .unwrap()
        .1
        .into_owned();
        harness.advance_seconds(1);
        assert_eq!(
            harness.backend_delete("/v1/users/alice").unwrap().status,
            204
        );
        harness.advance_seconds(1);

        // The old session is over, for reading and for acting.
        let app = Some(super::super::testing::APP_ORIGIN);
        for (method, path) in [
            ("GET", "/v1/connections"),
            ("POST", "/v1/connections/oura/disconnect"),
        ] {
            assert_eq!(
                harness
                    .request(method, path, &[], app, Some(&old_auth), "")
                    .unwrap_err(),
                ApiError::SessionExpired,
                "{method} {path}"
            );
        }
        assert_eq!(
            harness
                .request(
                    "POST",
                    "/v1/connections/oura/connect",
                    &[],
                    app,
                    Some(&old_auth),
                    r#"{"flow":"popup"}"#
                )
                .unwrap_err(),
            ApiError::SessionExpired
        );
        // The outstanding return state ends nothing.
        assert_eq!(
            harness
                .get_query("/v1/return", &[("state", &state), ("connected", "true")])
                .unwrap_err(),
            ApiError::InvalidState
        );
        assert!(
            !harness
                .store
                .holds(&ObjectName::user(&harness.user("alice")))
        );

        // A late ROOK-style report changes nothing either (aggregator
        // changes carry no fresh authority).
        let rook = Harness::rook();
        rook.seed("bob", "oura", ConnectionStatus::Connected);
        // ROOK's statuses, then the revoke of the erasure.
        rook.script(vec![
            super::super::testing::rook_statuses(&[("Oura", true)]),
            crate::aggregator::http::testing::answer(200, "{}"),
        ]);
        assert_eq!(rook.backend_delete("/v1/users/bob").unwrap().status, 204);
        rook.script(vec![super::super::testing::rook_statuses(&[(
            "Oura", true,
        )])]);
        rook.follow_up(crate::handlers::FollowUp::Reconcile(rook.user("bob")));
        assert!(!rook.store.holds(&ObjectName::user(&rook.user("bob"))));

        // A session minted after the erasure starts the user afresh.
        let list = harness.widget_get("alice", "/v1/connections").unwrap();
        assert_eq!(list.status, 200);
        harness.seed("alice", "oura", ConnectionStatus::Connected);
        harness
            .widget_post("alice", "/v1/connections/oura/disconnect", "")
            .unwrap();
        assert_eq!(
            harness.trail("alice"),
            [super::super::testing::row(
                "disconnect",
                "disconnected",
                "user"
            )]
        );
    }

    #[test]
    fn erasure_revokes_what_the_aggregator_holds_even_off_the_record() {
        // The edge never heard of the Garmin grant; ROOK's status call has.
        let harness = Harness::rook();
        harness.seed("carol", "oura", ConnectionStatus::Connected);
        harness.script(vec![
            super::super::testing::rook_statuses(&[
                ("Oura", true),
                ("Garmin", true),
                ("Polar", false),
            ]),
            crate::aggregator::http::testing::answer(200, "{}"),
            crate::aggregator::http::testing::answer(200, "{}"),
        ]);
        assert_eq!(
            harness.backend_delete("/v1/users/carol").unwrap().status,
            204
        );
        let revoked: Vec<String> = harness
            .http
            .sent()
            .iter()
            .filter_map(|request| request.body.clone())
            .collect();
        assert_eq!(
            revoked,
            [r#"{"data_source":"Oura"}"#, r#"{"data_source":"Garmin"}"#]
        );
    }
}
