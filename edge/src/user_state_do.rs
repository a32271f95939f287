//! The per-user Durable Object (SQLite storage) and the Worker's client for
//! it, the [`UserStore`] the handlers use. A Durable Object handles one
//! request at a time and every command here runs synchronously against
//! SQLite (no `await` between its statements), so read-modify-write sequences cannot interleave, and the runtime commits all
//! writes made without an intervening `await` atomically: concurrent requests
//! for one user never lose an update, and a command applies whole or not at all.

use healthlink_shared::SyncError;
use worker::{
    DurableObject, Env, Method, ObjectNamespace, Request, RequestInit, Response, SqlStorage,
    SqlStorageValue, State, WebSocket, WebSocketIncomingMessage, durable_object,
};

use healthlink_shared::audit_export::ChainedEntry;

use crate::audit_chain::{ChainState, NewAuditRow};
use crate::connections::ListView;
use crate::error::ApiError;
use crate::events::{EventsHealth, OutboxEvent, OutboxRow, event_for};
use crate::freshness::{DataReport, ReportOutcome, apply_report};
use crate::handlers::reply::LiveSocket;
use crate::links::{LinkAudit, LinkOpening, LinkRecord, LinkRefusal};
use crate::user_id::UserId;
use crate::user_state::{
    ATTEMPT_WINDOW_MS, AuditRetention, AuditRow, COMMAND_PATH, Change, ObjectName, RecordRule,
    SCHEMA, StoredStatus, USER_ID_LINK, UserRecord, UserStateCommand, UserStateReply,
    allowed_after_erasure, attempt_allowed, changes_to_apply, parse_pending, pending_spelling,
    settle_unconfirmed,
};
use crate::user_store::{AuditChain, Consumed, Reservation, StoreError, UserStore, WrittenList};

/// Binding name of the namespace; matches wrangler.toml.
pub(crate) const USER_STATE_BINDING: &str = "USER_STATE";

/// The object's answer to a list view whose session predates the user's
/// erasure (internal to the Worker ↔ object hop).
const SESSION_PREDATES_ERASURE: u16 = 410;

/// The users' namespace, pinned to `HEALTHLINK_JURISDICTION` when set.
///
/// workers-rs 0.8 offers jurisdictions only for random ids
/// (`unique_id_with_jurisdiction`), and every object here is named, so this
/// calls the runtime's `namespace.jurisdiction(name)` itself: the namespace
/// it returns creates every object, named or not, inside that jurisdiction.
/// Every stub the edge opens comes through here, so no path can reach an
/// unpinned object.
pub(crate) fn user_state_namespace(env: &Env) -> worker::Result<ObjectNamespace> {
    let namespace = env.durable_object(USER_STATE_BINDING)?;
    let jurisdiction = match &*crate::isolate::config(env) {
        Ok(config) => config.jurisdiction,
        // The front end refuses to serve before it gets here; an object
        // never guesses where a misconfigured edge meant to store.
        Err(_) => {
            return Err(worker::Error::RustError(
                "the edge's configuration is invalid".into(),
            ));
        }
    };
    match jurisdiction {
        None => Ok(namespace),
        Some(jurisdiction) => pinned(&namespace, jurisdiction),
    }
}

fn pinned(
    namespace: &ObjectNamespace,
    jurisdiction: crate::residency::Jurisdiction,
) -> worker::Result<ObjectNamespace> {
    use worker::js_sys::{Function, Reflect};
    use worker::wasm_bindgen::{JsCast, JsValue};
    let method: Function = Reflect::get(namespace.as_ref(), &JsValue::from_str("jurisdiction"))?
        .dyn_into()
        .map_err(|_| {
            worker::Error::RustError("this runtime has no Durable Object jurisdictions".into())
        })?;
    match method.call1(
        namespace.as_ref(),
        &JsValue::from_str(jurisdiction.as_str()),
    ) {
        Ok(scoped) => Ok(scoped.unchecked_into()),
        // Local workerd (`wrangler dev`) has the method but refuses it:
        // everything is on the developer's machine anyway, so the edge
        // runs unpinned there and says so. Cloudflare's runtime implements
        // it; any other refusal fails the request rather than store
        // state outside the jurisdiction.
        Err(error) if is_local_runtime_refusal(&error) => {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| {
                crate::log::error(
                    "HEALTHLINK_JURISDICTION is not enforced by this runtime (local workerd): \
                     state stays on this machine",
                );
            });
            Ok(namespace.clone())
        }
        Err(error) => Err(error.into()),
    }
}

/// workerd's own words for "jurisdictions exist only on Cloudflare".
fn is_local_runtime_refusal(error: &worker::wasm_bindgen::JsValue) -> bool {
    use worker::wasm_bindgen::JsCast;
    error
        .dyn_ref::<worker::js_sys::Error>()
        .map(|error| String::from(error.message()))
        .is_some_and(|message| message.contains("not implemented in workerd"))
}

#[durable_object]
pub struct UserState {
    pub(crate) state: State,
    pub(crate) sql: SqlStorage,
    pub(crate) env: Env,
    /// The endpoint answered 410 in this alarm; the monitor is to hear it.
    pub(crate) pending_gone: std::cell::Cell<bool>,
}

impl DurableObject for UserState {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        // Idempotent; a failure surfaces again on the first query as a 500.
        if let Err(error) = sql.exec(SCHEMA, None) {
            crate::log::error(&format!("user state schema: {error}"));
        }
        Self {
            state,
            sql,
            env,
            pending_gone: std::cell::Cell::new(false),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let answer = self.deliver_due().await?;
        // Sockets whose session ended are closed; the alarm comes back for
        // the next one.
        self.wake_for_sockets().await?;
        Ok(answer)
    }

    async fn websocket_message(
        &self,
        socket: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> worker::Result<()> {
        let text = match &message {
            WebSocketIncomingMessage::String(text) => Some(text.as_str()),
            WebSocketIncomingMessage::Binary(_) => None,
        };
        self.socket_message(&socket, text);
        Ok(())
    }

    async fn websocket_close(
        &self,
        socket: WebSocket,
        code: usize,
        _reason: String,
        _was_clean: bool,
    ) -> worker::Result<()> {
        // Completes the closing handshake the widget started.
        let code = u16::try_from(code)
            .ok()
            .filter(|code| *code == 1000 || (3000..5000).contains(code));
        let _ = socket.close(code.or(Some(1000)), Some("closing"));
        Ok(())
    }

    async fn websocket_error(
        &self,
        _socket: WebSocket,
        _error: worker::Error,
    ) -> worker::Result<()> {
        // The runtime closes a failed socket; the widget reconnects.
        Ok(())
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        // Reads come as bare GETs: no body to create, send, await and parse
        // on either side. With a list view in the query, the object writes
        // the status list itself and the Worker passes it through.
        if req.path() == crate::live::SOCKET_PATH {
            let query = req.url()?.query().unwrap_or_default().to_owned();
            return self.open_socket(&query).await;
        }
        let command: UserStateCommand = if req.method() == Method::Get {
            if let Some(view) = req.url()?.query().and_then(ListView::from_query) {
                let record = UserRecord {
                    statuses: self.statuses()?,
                    erased_at_ms: self.erased_at()?,
                };
                return match view.render(&record) {
                    Some(list) => Response::from_json(&list),
                    None => Ok(Response::empty()?.with_status(SESSION_PREDATES_ERASURE)),
                };
            }
            UserStateCommand::List
        } else {
            req.json().await?
        };
        let reply = match command {
            UserStateCommand::List => UserStateReply::Statuses {
                statuses: self.statuses()?,
                erased_at_ms: self.erased_at()?,
            },
            UserStateCommand::Record {
                changes,
                rule,
                retention,
                events,
            } => {
                let erased_at_ms = self.erased_at()?;
                let changes: Vec<Change> = match rule {
                    RecordRule::Always => changes,
                    RecordRule::OnlyIfChanged => changes_to_apply(&self.statuses()?, changes),
                }
                .into_iter()
                .filter(|change| allowed_after_erasure(erased_at_ms, change))
                .collect();
                for change in &changes {
                    self.apply(change, events)?;
                }
                self.prune_audit(retention)?;
                if events && !changes.is_empty() {
                    self.ensure_alarm().await?;
                }
                if !changes.is_empty() {
                    self.notify_changed();
                }
                UserStateReply::Applied {
                    count: changes.len(),
                }
            }
            UserStateCommand::GetLink { name } => UserStateReply::Link {
                value: self.link(&name)?,
            },
            UserStateCommand::SetLink { name, value } => {
                self.sql.exec(
                    "INSERT INTO links (name, value) VALUES (?, ?)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    vec![name.as_str().into(), value.as_str().into()],
                )?;
                UserStateReply::Recorded
            }
            UserStateCommand::ConsumeAndRecord {
                nonce,
                expires_at_ms,
                change,
                retention,
                events,
            } => {
                let reply = self.consume_and_record(&nonce, expires_at_ms, &change, events)?;
                self.prune_audit(retention)?;
                if events {
                    self.ensure_alarm().await?;
                }
                if reply == UserStateReply::Recorded {
                    self.notify_changed();
                }
                reply
            }
            UserStateCommand::Audit { before, limit } => UserStateReply::Audit {
                rows: self.audit(before, limit)?,
            },
            UserStateCommand::AuditChain => self.audit_chain()?,
            UserStateCommand::Reserve {
                nonce,
                expires_at_ms,
            } => self.reserve(&nonce, expires_at_ms)?,
            UserStateCommand::Release { nonce } => {
                self.sql.exec(
                    "DELETE FROM reserved_states WHERE nonce = ?",
                    vec![nonce.as_str().into()],
                )?;
                UserStateReply::Recorded
            }
            UserStateCommand::Attempt { at_ms, limit } => self.attempt(at_ms, limit)?,
            UserStateCommand::Erase { at_ms, then } => {
                // What the events monitor was last told survives (it names
                // no one), so a failing outbox erased here is reported gone.
                let told = self.link(crate::user_state::EVENTS_REPORTED_LINK)?;
                self.state.storage().delete_all().await?;
                // The object lives on; recreate empty tables for later use,
                // and the tombstone that keeps old authority out.
                self.sql.exec(SCHEMA, None)?;
                self.sql.exec(
                    "INSERT INTO tombstone (erased_at_ms) VALUES (?)",
                    vec![SqlStorageValue::try_from_i64(at_ms)?],
                )?;
                if let Some(told) = told {
                    self.sql.exec(
                        "INSERT INTO links (name, value) VALUES (?, ?)",
                        vec![
                            crate::user_state::EVENTS_REPORTED_LINK.into(),
                            told.as_str().into(),
                        ],
                    )?;
                }
                if let Some(event) = then {
                    self.enqueue(&event, at_ms)?;
                    self.ensure_alarm().await?;
                }
                // Sessions from before the erasure are over.
                self.close_all(crate::live::CLOSE_ERASED, "erased");
                UserStateReply::Erased
            }
            UserStateCommand::ReportData {
                user_id,
                source,
                last_data_at_ms,
                error,
                events,
            } => {
                let row = self.report_data(&user_id, &source, last_data_at_ms, error)?;
                if events && row.is_some() {
                    self.ensure_alarm().await?;
                }
                UserStateReply::DataReported { row }
            }
            UserStateCommand::Deliveries { limit } => UserStateReply::Deliveries {
                rows: self.deliveries(limit)?,
            },
            UserStateCommand::Redeliver { id, at_ms } => {
                let row = self.redeliver(&id, at_ms)?;
                self.ensure_alarm().await?;
                UserStateReply::Redelivered { row }
            }
            UserStateCommand::PutHostedLink {
                record,
                audit,
                retention,
            } => {
                self.sql.exec(
                    "DELETE FROM hosted_links WHERE expires_at_ms < ?",
                    vec![SqlStorageValue::try_from_i64(
                        record.created_at - crate::links::KEPT_AFTER_EXPIRY_MS,
                    )?],
                )?;
                self.write_hosted_link(&record)?;
                self.audit_link(&record, &audit)?;
                self.prune_audit(retention)?;
                UserStateReply::Recorded
            }
            UserStateCommand::OpenHostedLink {
                lid,
                mut audit,
                resume,
                retention,
            } => {
                let opening = match self.hosted_link(&lid)? {
                    None => LinkOpening::Refused {
                        refusal: LinkRefusal::Unknown,
                    },
                    Some(mut record) => match record.open(audit.at_ms, resume) {
                        Err(refusal) => LinkOpening::Refused { refusal },
                        Ok(result) => {
                            audit.result = result;
                            self.write_hosted_link(&record)?;
                            self.audit_link(&record, &audit)?;
                            self.prune_audit(retention)?;
                            LinkOpening::Opened {
                                record: Box::new(record),
                            }
                        }
                    },
                };
                UserStateReply::HostedLinkOpened { opening }
            }
            UserStateCommand::RevokeHostedLink {
                lid,
                audit,
                retention,
            } => {
                let revoked = match self.hosted_link(&lid)? {
                    None => None,
                    Some(mut record) => {
                        let now = record.revoke(audit.at_ms);
                        if now {
                            self.write_hosted_link(&record)?;
                            self.audit_link(&record, &audit)?;
                            self.prune_audit(retention)?;
                        }
                        Some(now)
                    }
                };
                UserStateReply::HostedLinkRevoked { revoked }
            }
            UserStateCommand::HostedLinks => {
                let rows: Vec<HostedLinkRow> = self
                    .sql
                    .exec("SELECT record FROM hosted_links ORDER BY rowid DESC", None)?
                    .to_array()?;
                let mut records = rows
                    .iter()
                    .map(|row| serde_json::from_str(&row.record))
                    .collect::<Result<Vec<LinkRecord>, _>>()
                    .map_err(|error| worker::Error::RustError(error.to_string()))?;
                records.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.lid.cmp(&a.lid)));
                UserStateReply::HostedLinks { records }
            }
            command @ (UserStateCommand::ReportHealth { .. }
            | UserStateCommand::EventsHealth { .. }
            | UserStateCommand::DisableEndpoint { .. }
            | UserStateCommand::ResumeEndpoint { .. }) => self.monitor(&command)?,
        };
        Response::from_json(&reply)
    }
}

#[derive(serde::Deserialize)]
struct StatusRow {
    source: String,
    status: String,
    updated_at_ms: i64,
    error: Option<String>,
    pending: Option<String>,
    last_data_at_ms: Option<i64>,
    data_error: Option<String>,
    stale_event_for_ms: Option<i64>,
}

#[derive(serde::Deserialize)]
struct HostedLinkRow {
    record: String,
}

#[derive(serde::Deserialize)]
struct LinkRow {
    value: String,
}

#[derive(serde::Deserialize)]
struct CountRow {
    n: i64,
}

#[derive(serde::Deserialize)]
struct OptionalIdRow {
    id: Option<i64>,
}

#[derive(serde::Deserialize)]
struct ChainRow {
    state: String,
}

#[derive(serde::Deserialize)]
struct PrunedRow {
    n: i64,
    at_ms: i64,
    hash: String,
}

/// An audit row with its hashes, as SQL returns it.
#[derive(serde::Deserialize)]
struct ChainedRow {
    id: i64,
    at_ms: i64,
    actor: String,
    user_id: String,
    source: String,
    action: String,
    result: String,
    aggregator: String,
    consent_version: Option<String>,
    prev_hash: String,
    hash: String,
}

impl From<ChainedRow> for ChainedEntry {
    fn from(row: ChainedRow) -> Self {
        let mut entry = NewAuditRow::from(&AuditRow {
            id: row.id,
            at_ms: row.at_ms,
            actor: row.actor,
            user_id: row.user_id,
            source: row.source,
            action: row.action,
            result: row.result,
            aggregator: row.aggregator,
            consent_version: row.consent_version,
        })
        .entry(row.id);
        entry.prev_hash = row.prev_hash;
        entry.hash = row.hash;
        entry
    }
}

#[derive(serde::Deserialize)]
struct AttemptRow {
    at_ms: i64,
}

#[derive(serde::Deserialize)]
struct TombstoneRow {
    erased_at_ms: i64,
}

impl UserState {
    fn erased_at(&self) -> worker::Result<Option<i64>> {
        let rows: Vec<TombstoneRow> = self
            .sql
            .exec(
                "SELECT erased_at_ms FROM tombstone ORDER BY erased_at_ms DESC LIMIT 1",
                None,
            )?
            .to_array()?;
        Ok(rows.first().map(|row| row.erased_at_ms))
    }

    fn hosted_link(&self, lid: &str) -> worker::Result<Option<LinkRecord>> {
        let rows: Vec<HostedLinkRow> = self
            .sql
            .exec(
                "SELECT record FROM hosted_links WHERE lid = ?",
                vec![lid.into()],
            )?
            .to_array()?;
        rows.first()
            .map(|row| serde_json::from_str(&row.record))
            .transpose()
            .map_err(|error| worker::Error::RustError(error.to_string()))
    }

    fn write_hosted_link(&self, record: &LinkRecord) -> worker::Result<()> {
        let text = serde_json::to_string(record)
            .map_err(|error| worker::Error::RustError(error.to_string()))?;
        self.sql.exec(
            "INSERT INTO hosted_links (lid, expires_at_ms, record) VALUES (?, ?, ?)
             ON CONFLICT (lid) DO UPDATE SET record = excluded.record",
            vec![
                record.lid.as_str().into(),
                SqlStorageValue::try_from_i64(record.expires_at)?,
                text.as_str().into(),
            ],
        )?;
        Ok(())
    }

    /// The audit row of something done to a hosted link.
    fn audit_link(&self, record: &LinkRecord, audit: &LinkAudit) -> worker::Result<()> {
        self.append_audit(&NewAuditRow::of_link(record, audit))
            .map(|_| ())
    }

    /// The chain's state; rows written before the chain existed are
    /// chained here, once, oldest first ([`crate::audit_chain`]).
    fn chain(&self) -> worker::Result<ChainState> {
        let rows: Vec<ChainRow> = self
            .sql
            .exec("SELECT state FROM audit_chain WHERE only = 1", None)?
            .to_array()?;
        if let Some(row) = rows.first() {
            return serde_json::from_str(&row.state)
                .map_err(|error| worker::Error::RustError(error.to_string()));
        }
        let mut chain = ChainState::default();
        let unchained: Vec<AuditRow> = self
            .sql
            .exec(
                "SELECT a.id, a.at_ms, a.actor, a.user_id, a.source, a.action, a.result,
                   a.aggregator, NULL AS consent_version
                 FROM audit a LEFT JOIN audit_hashes h ON h.id = a.id
                 WHERE h.id IS NULL ORDER BY a.id",
                None,
            )?
            .to_array()?;
        if !unchained.is_empty() {
            for row in &unchained {
                let entry = chain.append(row.id, &NewAuditRow::from(row));
                self.write_hashes(&entry)?;
            }
            self.write_chain(&chain)?;
        }
        Ok(chain)
    }

    fn write_chain(&self, chain: &ChainState) -> worker::Result<()> {
        let state = serde_json::to_string(chain)
            .map_err(|error| worker::Error::RustError(error.to_string()))?;
        self.sql.exec(
            "INSERT INTO audit_chain (only, state) VALUES (1, ?)
             ON CONFLICT (only) DO UPDATE SET state = excluded.state",
            vec![state.as_str().into()],
        )?;
        Ok(())
    }

    fn write_hashes(&self, entry: &ChainedEntry) -> worker::Result<()> {
        self.sql.exec(
            "INSERT INTO audit_hashes (id, consent_version, prev_hash, hash) VALUES (?, ?, ?, ?)",
            vec![
                SqlStorageValue::try_from_i64(entry.id)?,
                entry
                    .consent_version
                    .as_deref()
                    .map_or(SqlStorageValue::Null, SqlStorageValue::from),
                entry.prev_hash.as_str().into(),
                entry.hash.as_str().into(),
            ],
        )?;
        Ok(())
    }

    /// Appends one audit row, chained after the head; its id.
    fn append_audit(&self, row: &NewAuditRow) -> worker::Result<i64> {
        let mut chain = self.chain()?;
        self.sql.exec(
            "INSERT INTO audit (at_ms, actor, user_id, source, action, result, aggregator)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![
                SqlStorageValue::try_from_i64(row.at_ms)?,
                row.actor.as_str().into(),
                row.user_id.as_str().into(),
                row.source.as_str().into(),
                row.action.as_str().into(),
                row.result.as_str().into(),
                row.aggregator.as_str().into(),
            ],
        )?;
        let inserted: Vec<CountRow> = self
            .sql
            .exec("SELECT last_insert_rowid() AS n", None)?
            .to_array()?;
        let id = inserted.first().map_or(0, |row| row.n);
        let entry = chain.append(id, row);
        self.write_hashes(&entry)?;
        self.write_chain(&chain)?;
        Ok(id)
    }

    /// The whole trail, oldest first, with its chain.
    fn audit_chain(&self) -> worker::Result<UserStateReply> {
        let chain = self.chain()?;
        let rows: Vec<ChainedRow> = self
            .sql
            .exec(
                "SELECT a.id, a.at_ms, a.actor, a.user_id, a.source, a.action, a.result,
                   a.aggregator, h.consent_version, h.prev_hash, h.hash
                 FROM audit a JOIN audit_hashes h ON h.id = a.id ORDER BY a.id",
                None,
            )?
            .to_array()?;
        let entries = rows.into_iter().map(ChainedEntry::from).collect();
        Ok(UserStateReply::AuditChain {
            chain: chain.summary(),
            entries,
        })
    }

    pub(crate) fn link(&self, name: &str) -> worker::Result<Option<String>> {
        let rows: Vec<LinkRow> = self
            .sql
            .exec("SELECT value FROM links WHERE name = ?", vec![name.into()])?
            .to_array()?;
        Ok(rows.into_iter().next().map(|row| row.value))
    }

    pub(crate) fn statuses(&self) -> worker::Result<Vec<StoredStatus>> {
        let rows: Vec<StatusRow> = self
            .sql
            .exec(
                "SELECT s.source, s.status, s.updated_at_ms, s.error, p.action AS pending,
                   d.last_data_at_ms, d.error AS data_error, d.stale_event_for_ms
                 FROM source_status s LEFT JOIN pending_actions p ON p.source = s.source
                   LEFT JOIN source_data d ON d.source = s.source",
                None,
            )?
            .to_array()?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                // A status spelling we no longer know reads as never
                // connected; the next reconcile corrects it.
                let status = healthlink_shared::ConnectionStatus::parse(&row.status)?;
                let pending = row.pending.as_deref().and_then(parse_pending);
                Some(StoredStatus {
                    source: row.source,
                    status,
                    updated_at_ms: row.updated_at_ms,
                    error: row.error,
                    pending: pending.map(|(action, _)| action),
                    deleting: pending.is_some_and(|(_, deleting)| deleting),
                    data: row.last_data_at_ms.map(|last_data_at_ms| DataReport {
                        last_data_at_ms,
                        // A code we no longer know reads as none.
                        error: row.data_error.as_deref().and_then(SyncError::parse),
                        stale_event_for_ms: row.stale_event_for_ms,
                    }),
                })
            })
            .collect())
    }

    /// Writes the change, its audit row and (with `events`) its event, all
    /// in this one synchronous step.
    fn apply(&self, change: &Change, events: bool) -> worker::Result<()> {
        let previous = if events {
            self.statuses()?
                .into_iter()
                .find(|row| row.source == change.source)
        } else {
            None
        };
        // Whatever is applied came with fresh authority (see
        // `allowed_after_erasure`): the user is back.
        self.sql.exec("DELETE FROM tombstone", None)?;
        if let Some(status) = change.status {
            self.sql.exec(
                "INSERT INTO source_status (source, status, updated_at_ms, error)
                 VALUES (?, ?, ?, ?)
                 ON CONFLICT (source) DO UPDATE SET
                   status = excluded.status,
                   updated_at_ms = excluded.updated_at_ms,
                   error = excluded.error",
                vec![
                    change.source.as_str().into(),
                    status.as_str().into(),
                    SqlStorageValue::try_from_i64(change.at_ms)?,
                    change
                        .error
                        .as_deref()
                        .map_or(SqlStorageValue::Null, SqlStorageValue::from),
                ],
            )?;
            match pending_spelling(change) {
                Some(action) => self.sql.exec(
                    "INSERT INTO pending_actions (source, action) VALUES (?, ?)
                     ON CONFLICT (source) DO UPDATE SET action = excluded.action",
                    vec![change.source.as_str().into(), action.into()],
                )?,
                None => self.sql.exec(
                    "DELETE FROM pending_actions WHERE source = ?",
                    vec![change.source.as_str().into()],
                )?,
            };
        }
        let audit_id = self.append_audit(&NewAuditRow::from(change))?;
        if events && let Some(event) = event_for(previous.as_ref(), change, audit_id) {
            self.enqueue(&event, change.at_ms)?;
        }
        Ok(())
    }

    /// Stores a data report as [`apply_report`] decides, in one step; the
    /// source's row afterwards, `None` when it is not connected.
    fn report_data(
        &self,
        user_id: &str,
        source: &str,
        last_data_at_ms: i64,
        error: Option<SyncError>,
    ) -> worker::Result<Option<StoredStatus>> {
        let Some(mut row) = self
            .statuses()?
            .into_iter()
            .find(|row| row.source == source)
        else {
            return Ok(None);
        };
        match apply_report(Some(&row), last_data_at_ms, error) {
            ReportOutcome::NotConnected => return Ok(None),
            ReportOutcome::Unchanged => {}
            ReportOutcome::Record(data) => {
                self.sql.exec(
                    "INSERT INTO source_data (source, last_data_at_ms, error, stale_event_for_ms)
                     VALUES (?, ?, ?, ?)
                     ON CONFLICT (source) DO UPDATE SET
                       last_data_at_ms = excluded.last_data_at_ms,
                       error = excluded.error,
                       stale_event_for_ms = excluded.stale_event_for_ms",
                    vec![
                        source.into(),
                        SqlStorageValue::try_from_i64(data.last_data_at_ms)?,
                        data.error
                            .map_or(SqlStorageValue::Null, |error| error.as_str().into()),
                        data.stale_event_for_ms
                            .map_or(Ok(SqlStorageValue::Null), SqlStorageValue::try_from_i64)?,
                    ],
                )?;
                // The alarm's `connection.stale` names the user.
                self.sql.exec(
                    "INSERT INTO links (name, value) VALUES (?, ?)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    vec![USER_ID_LINK.into(), user_id.into()],
                )?;
                row.data = Some(data);
            }
        }
        Ok(Some(row))
    }

    fn consume_and_record(
        &self,
        nonce: &str,
        expires_at_ms: i64,
        change: &Change,
        events: bool,
    ) -> worker::Result<UserStateReply> {
        // Expired nonces can no longer be presented (the state's
        // signature has expired too), so they need not be kept.
        self.sql.exec(
            "DELETE FROM used_states WHERE expires_at_ms < ?",
            vec![SqlStorageValue::try_from_i64(change.at_ms)?],
        )?;
        let used: Vec<CountRow> = self
            .sql
            .exec(
                "SELECT COUNT(*) AS n FROM used_states WHERE nonce = ?",
                vec![nonce.into()],
            )?
            .to_array()?;
        if used.first().is_some_and(|row| row.n > 0) {
            return Ok(UserStateReply::StateAlreadyUsed);
        }
        // Its own reservation is what let this return get here.
        self.sql.exec(
            "DELETE FROM reserved_states WHERE nonce = ?",
            vec![nonce.into()],
        )?;
        if !allowed_after_erasure(self.erased_at()?, change) {
            return Ok(UserStateReply::ErasedBefore);
        }
        self.sql.exec(
            "INSERT INTO used_states (nonce, expires_at_ms) VALUES (?, ?)",
            vec![nonce.into(), SqlStorageValue::try_from_i64(expires_at_ms)?],
        )?;
        self.apply(
            &settle_unconfirmed(&self.statuses()?, change.clone()),
            events,
        )?;
        Ok(UserStateReply::Recorded)
    }

    /// Retention ([`crate::audit_chain::prune_through`]): the oldest rows go,
    /// a prefix only, and the chain records what went.
    fn prune_audit(&self, retention: AuditRetention) -> worker::Result<()> {
        let now = worker::Date::now().as_millis() as i64;
        let newest_too_old: Vec<OptionalIdRow> = self
            .sql
            .exec(
                "SELECT MAX(id) AS id FROM audit WHERE at_ms < ?",
                vec![SqlStorageValue::try_from_i64(now - retention.max_age_ms)?],
            )?
            .to_array()?;
        let newest_over_limit: Vec<OptionalIdRow> = self
            .sql
            .exec(
                "SELECT id FROM audit ORDER BY id DESC LIMIT 1 OFFSET ?",
                vec![i64::from(retention.max_rows).into()],
            )?
            .to_array()?;
        let Some(through) = crate::audit_chain::prune_through(
            newest_too_old.first().and_then(|row| row.id),
            newest_over_limit.first().and_then(|row| row.id),
        ) else {
            return Ok(());
        };
        let mut chain = self.chain()?;
        let last: Vec<PrunedRow> = self
            .sql
            .exec(
                "SELECT (SELECT COUNT(*) FROM audit WHERE id <= ?1) AS n, a.at_ms, h.hash
                 FROM audit a JOIN audit_hashes h ON h.id = a.id WHERE a.id = ?1",
                vec![SqlStorageValue::try_from_i64(through)?],
            )?
            .to_array()?;
        let Some(last) = last.first() else {
            return Ok(());
        };
        chain.record_pruning(
            u64::try_from(last.n).unwrap_or(0),
            through,
            last.at_ms,
            &last.hash,
        );
        self.sql.exec(
            "DELETE FROM audit WHERE id <= ?",
            vec![SqlStorageValue::try_from_i64(through)?],
        )?;
        self.sql.exec(
            "DELETE FROM audit_hashes WHERE id <= ?",
            vec![SqlStorageValue::try_from_i64(through)?],
        )?;
        self.write_chain(&chain)
    }

    pub(crate) fn used_or_reserved(&self, nonce: &str) -> worker::Result<bool> {
        let used: Vec<CountRow> = self
            .sql
            .exec(
                "SELECT (SELECT COUNT(*) FROM used_states WHERE nonce = ?1)
                      + (SELECT COUNT(*) FROM reserved_states WHERE nonce = ?1) AS n",
                vec![nonce.into()],
            )?
            .to_array()?;
        Ok(used.first().is_some_and(|row| row.n > 0))
    }

    fn reserve(&self, nonce: &str, expires_at_ms: i64) -> worker::Result<UserStateReply> {
        let now = worker::Date::now().as_millis() as i64;
        self.sql.exec(
            "DELETE FROM reserved_states WHERE expires_at_ms < ?",
            vec![SqlStorageValue::try_from_i64(now)?],
        )?;
        if self.used_or_reserved(nonce)? {
            return Ok(UserStateReply::StateAlreadyUsed);
        }
        self.sql.exec(
            "INSERT INTO reserved_states (nonce, expires_at_ms) VALUES (?, ?)",
            vec![nonce.into(), SqlStorageValue::try_from_i64(expires_at_ms)?],
        )?;
        Ok(UserStateReply::Reserved)
    }

    fn attempt(&self, at_ms: i64, limit: u32) -> worker::Result<UserStateReply> {
        self.sql.exec(
            "DELETE FROM attempts WHERE at_ms <= ?",
            vec![SqlStorageValue::try_from_i64(at_ms - ATTEMPT_WINDOW_MS)?],
        )?;
        let recent: Vec<AttemptRow> = self
            .sql
            .exec("SELECT at_ms FROM attempts", None)?
            .to_array()?;
        let recent: Vec<i64> = recent.into_iter().map(|row| row.at_ms).collect();
        Ok(match attempt_allowed(&recent, at_ms, limit) {
            Ok(()) => {
                self.sql.exec(
                    "INSERT INTO attempts (at_ms) VALUES (?)",
                    vec![SqlStorageValue::try_from_i64(at_ms)?],
                )?;
                UserStateReply::AttemptAllowed
            }
            Err(retry_after_seconds) => UserStateReply::AttemptRefused {
                retry_after_seconds,
            },
        })
    }

    fn audit(&self, before: Option<i64>, limit: u32) -> worker::Result<Vec<AuditRow>> {
        self.sql
            .exec(
                "SELECT a.id, a.at_ms, a.actor, a.user_id, a.source, a.action, a.result,
                   a.aggregator, h.consent_version
                 FROM audit a LEFT JOIN audit_hashes h ON h.id = a.id
                 WHERE a.id < ? ORDER BY a.id DESC LIMIT ?",
                vec![
                    SqlStorageValue::try_from_i64(before.unwrap_or(i64::from(i32::MAX)))?,
                    i64::from(limit).into(),
                ],
            )?
            .to_array()
    }
}

/// The Worker's side: the [`UserStore`] over the Durable Object namespace,
/// one command per call.
pub struct DurableObjectStore {
    namespace: ObjectNamespace,
    retention: AuditRetention,
    /// Whether changes write events (an events endpoint is configured).
    events: bool,
}

impl From<worker::Error> for StoreError {
    fn from(error: worker::Error) -> Self {
        crate::log::error(&format!("user state: {error}"));
        StoreError
    }
}

impl DurableObjectStore {
    pub fn new(env: &Env, retention: AuditRetention, events: bool) -> Result<Self, ApiError> {
        Ok(Self {
            namespace: user_state_namespace(env)?,
            retention,
            events,
        })
    }

    /// Asks the user's object to open a live-updates socket; its client
    /// end goes back to the browser.
    pub async fn open_socket(env: &Env, live: &LiveSocket) -> Result<WebSocket, ApiError> {
        let headers = worker::Headers::new();
        headers.set("upgrade", "websocket")?;
        let mut init = RequestInit::new();
        init.with_headers(headers);
        let url = format!(
            "https://user-state{}?{}",
            crate::live::SOCKET_PATH,
            live.grant.to_query()
        );
        let request = Request::new_with_init(&url, &init)?;
        let stub = user_state_namespace(env)?.get_by_name(ObjectName::user(&live.user).as_str())?;
        let answer = stub.fetch_with_request(request).await?;
        match (answer.status_code(), answer.websocket()) {
            (101, Some(socket)) => Ok(socket),
            (429, _) => Err(ApiError::TooManyConnections),
            // A ticket used before.
            (401, _) => Err(ApiError::Unauthorized),
            (status, _) => {
                crate::log::error(&format!("user state answered {status} to a socket"));
                Err(ApiError::Internal)
            }
        }
    }

    async fn send(
        &self,
        object: &ObjectName,
        command: &UserStateCommand,
    ) -> Result<UserStateReply, StoreError> {
        let response = if *command == UserStateCommand::List {
            self.exchange(object, "", None).await?
        } else {
            let body = serde_json::to_string(command).map_err(|_| StoreError)?;
            self.exchange(object, "", Some(body)).await?
        };
        if response.status() != 200 {
            crate::log::error(&format!("user state answered {}", response.status()));
            return Err(StoreError);
        }
        let text = await_js(response.text().map_err(js_error)?)
            .await?
            .as_string()
            .ok_or(StoreError)?;
        serde_json::from_str(&text).map_err(|_| StoreError)
    }

    /// One request to one object: a bare GET (with `query`, if any) or a
    /// POST of `body`. Awaited on the runtime's own promises: workers-rs
    /// would wrap the reply (reading headers, status and cf across the
    /// boundary) and read the body chunk by chunk through wasm-streams; the
    /// runtime's `text()` reads it in one call, and a written list is passed
    /// on unread. Measured by `cargo xtask bench`.
    async fn exchange(
        &self,
        object: &ObjectName,
        query: &str,
        body: Option<String>,
    ) -> Result<worker::web_sys::Response, StoreError> {
        use worker::wasm_bindgen::JsCast;
        // `get_by_name` maps the same name to the same object everywhere.
        let stub: worker::worker_sys::DurableObject =
            self.namespace.get_by_name(object.as_str())?.into_rpc();
        let url = format!("https://user-state{COMMAND_PATH}{query}");
        let sent = match body {
            None => stub.fetch_with_str(&url),
            Some(body) => {
                let mut init = RequestInit::new();
                init.with_method(Method::Post).with_body(Some(body.into()));
                let request = Request::new_with_init(&url, &init)?;
                stub.fetch_with_request(request.inner())
            }
        };
        Ok(await_js(sent.map_err(js_error)?).await?.unchecked_into())
    }

    async fn user(
        &self,
        user: &UserId,
        command: &UserStateCommand,
    ) -> Result<UserStateReply, StoreError> {
        self.send(&ObjectName::user(user), command).await
    }
}

impl UserStore for DurableObjectStore {
    async fn written_list(
        &self,
        user: &UserId,
        view: &ListView,
    ) -> Result<Option<WrittenList>, StoreError> {
        let query = format!("?{}", view.to_query());
        let response = self.exchange(&ObjectName::user(user), &query, None).await?;
        match (response.status(), response.body()) {
            (200, Some(body)) => Ok(Some(WrittenList::Stream(body))),
            (SESSION_PREDATES_ERASURE, _) => Ok(None),
            (status, _) => {
                crate::log::error(&format!("user state answered {status} to a list view"));
                Err(StoreError)
            }
        }
    }

    async fn record_of(&self, user: &UserId) -> Result<UserRecord, StoreError> {
        match self.user(user, &UserStateCommand::List).await? {
            UserStateReply::Statuses {
                statuses,
                erased_at_ms,
            } => Ok(UserRecord {
                statuses,
                erased_at_ms,
            }),
            other => Err(unexpected(&other)),
        }
    }

    async fn record(
        &self,
        user: &UserId,
        changes: Vec<Change>,
        rule: RecordRule,
    ) -> Result<usize, StoreError> {
        match self
            .user(
                user,
                &UserStateCommand::Record {
                    changes,
                    rule,
                    retention: self.retention,
                    events: self.events,
                },
            )
            .await?
        {
            UserStateReply::Applied { count } => Ok(count),
            other => Err(unexpected(&other)),
        }
    }

    async fn consume_and_record(
        &self,
        user: &UserId,
        nonce: &str,
        expires_at_ms: i64,
        change: Change,
    ) -> Result<Consumed, StoreError> {
        let command = UserStateCommand::ConsumeAndRecord {
            nonce: nonce.to_owned(),
            expires_at_ms,
            change: Box::new(change),
            retention: self.retention,
            events: self.events,
        };
        match self.user(user, &command).await? {
            UserStateReply::Recorded => Ok(Consumed::Recorded),
            UserStateReply::StateAlreadyUsed => Ok(Consumed::AlreadyUsed),
            UserStateReply::ErasedBefore => Ok(Consumed::ErasedBefore),
            other => Err(unexpected(&other)),
        }
    }

    async fn audit(
        &self,
        user: &UserId,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditRow>, StoreError> {
        match self
            .user(user, &UserStateCommand::Audit { before, limit })
            .await?
        {
            UserStateReply::Audit { rows } => Ok(rows),
            other => Err(unexpected(&other)),
        }
    }

    async fn audit_chain(&self, user: &UserId) -> Result<AuditChain, StoreError> {
        match self.user(user, &UserStateCommand::AuditChain).await? {
            UserStateReply::AuditChain { chain, entries } => Ok(AuditChain { chain, entries }),
            other => Err(unexpected(&other)),
        }
    }

    async fn reserve_state(
        &self,
        user: &UserId,
        nonce: &str,
        expires_at_ms: i64,
        _now_ms: i64,
    ) -> Result<Reservation, StoreError> {
        let command = UserStateCommand::Reserve {
            nonce: nonce.to_owned(),
            expires_at_ms,
        };
        match self.user(user, &command).await? {
            UserStateReply::Reserved => Ok(Reservation::Reserved),
            UserStateReply::StateAlreadyUsed => Ok(Reservation::AlreadyUsed),
            other => Err(unexpected(&other)),
        }
    }

    async fn release_state(&self, user: &UserId, nonce: &str) -> Result<(), StoreError> {
        let command = UserStateCommand::Release {
            nonce: nonce.to_owned(),
        };
        match self.user(user, &command).await? {
            UserStateReply::Recorded => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    async fn attempt(
        &self,
        user: &UserId,
        at_ms: i64,
        limit: u32,
    ) -> Result<Result<(), u32>, StoreError> {
        match self
            .user(user, &UserStateCommand::Attempt { at_ms, limit })
            .await?
        {
            UserStateReply::AttemptAllowed => Ok(Ok(())),
            UserStateReply::AttemptRefused {
                retry_after_seconds,
            } => Ok(Err(retry_after_seconds)),
            other => Err(unexpected(&other)),
        }
    }

    async fn link(&self, object: &ObjectName, name: &str) -> Result<Option<String>, StoreError> {
        let command = UserStateCommand::GetLink { name: name.into() };
        match self.send(object, &command).await? {
            UserStateReply::Link { value } => Ok(value),
            other => Err(unexpected(&other)),
        }
    }

    async fn set_link(
        &self,
        object: &ObjectName,
        name: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        let command = UserStateCommand::SetLink {
            name: name.into(),
            value: value.into(),
        };
        match self.send(object, &command).await? {
            UserStateReply::Recorded => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    async fn erase(
        &self,
        object: &ObjectName,
        at_ms: i64,
        then: Option<OutboxEvent>,
    ) -> Result<(), StoreError> {
        match self
            .send(object, &UserStateCommand::Erase { at_ms, then })
            .await?
        {
            UserStateReply::Erased => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    async fn report_data(
        &self,
        user: &UserId,
        source: &str,
        last_data_at_ms: i64,
        error: Option<SyncError>,
    ) -> Result<Option<StoredStatus>, StoreError> {
        let command = UserStateCommand::ReportData {
            user_id: user.to_string(),
            source: source.to_owned(),
            last_data_at_ms,
            error,
            events: self.events,
        };
        match self.user(user, &command).await? {
            UserStateReply::DataReported { row } => Ok(row),
            other => Err(unexpected(&other)),
        }
    }

    async fn deliveries(&self, user: &UserId, limit: u32) -> Result<Vec<OutboxRow>, StoreError> {
        match self
            .user(user, &UserStateCommand::Deliveries { limit })
            .await?
        {
            UserStateReply::Deliveries { rows } => Ok(rows),
            other => Err(unexpected(&other)),
        }
    }

    async fn redeliver(
        &self,
        user: &UserId,
        id: &str,
        at_ms: i64,
    ) -> Result<Option<OutboxRow>, StoreError> {
        let command = UserStateCommand::Redeliver {
            id: id.to_owned(),
            at_ms,
        };
        match self.user(user, &command).await? {
            UserStateReply::Redelivered { row } => Ok(row),
            other => Err(unexpected(&other)),
        }
    }

    async fn events_health(&self, endpoint: &str) -> Result<EventsHealth, StoreError> {
        let command = UserStateCommand::EventsHealth {
            endpoint: endpoint.to_owned(),
        };
        match self.send(&ObjectName::events_monitor(), &command).await? {
            UserStateReply::EventsHealth { health } => Ok(health),
            other => Err(unexpected(&other)),
        }
    }

    async fn resume_endpoint(&self, endpoint: &str) -> Result<(), StoreError> {
        let command = UserStateCommand::ResumeEndpoint {
            endpoint: endpoint.to_owned(),
        };
        match self.send(&ObjectName::events_monitor(), &command).await? {
            UserStateReply::Recorded => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    async fn put_hosted_link(
        &self,
        user: &UserId,
        record: &LinkRecord,
        audit: LinkAudit,
    ) -> Result<(), StoreError> {
        let command = UserStateCommand::PutHostedLink {
            record: Box::new(record.clone()),
            audit,
            retention: self.retention,
        };
        match self.user(user, &command).await? {
            UserStateReply::Recorded => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    async fn open_hosted_link(
        &self,
        user: &UserId,
        lid: &str,
        audit: LinkAudit,
        resume: bool,
    ) -> Result<LinkOpening, StoreError> {
        let command = UserStateCommand::OpenHostedLink {
            lid: lid.to_owned(),
            audit,
            resume,
            retention: self.retention,
        };
        match self.user(user, &command).await? {
            UserStateReply::HostedLinkOpened { opening } => Ok(opening),
            other => Err(unexpected(&other)),
        }
    }

    async fn revoke_hosted_link(
        &self,
        user: &UserId,
        lid: &str,
        audit: LinkAudit,
    ) -> Result<Option<bool>, StoreError> {
        let command = UserStateCommand::RevokeHostedLink {
            lid: lid.to_owned(),
            audit,
            retention: self.retention,
        };
        match self.user(user, &command).await? {
            UserStateReply::HostedLinkRevoked { revoked } => Ok(revoked),
            other => Err(unexpected(&other)),
        }
    }

    async fn hosted_links(&self, user: &UserId) -> Result<Vec<LinkRecord>, StoreError> {
        match self.user(user, &UserStateCommand::HostedLinks).await? {
            UserStateReply::HostedLinks { records } => Ok(records),
            other => Err(unexpected(&other)),
        }
    }
}

async fn await_js(
    promise: worker::js_sys::Promise,
) -> Result<worker::wasm_bindgen::JsValue, StoreError> {
    worker::wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(js_error)
}

fn js_error(error: worker::wasm_bindgen::JsValue) -> StoreError {
    crate::log::error(&format!("user state: {error:?}"));
    StoreError
}

fn unexpected(reply: &UserStateReply) -> StoreError {
    // The kind only: replies carry audit rows, which name users.
    crate::log::error(&format!("user state: unexpected reply {}", reply.kind()));
    StoreError
}
