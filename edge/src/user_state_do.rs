//! The per-user Durable Object (SQLite storage) and the Worker's client for
//! it. A Durable Object handles one request at a time and every command here
//! runs synchronously against SQLite (no `await` between its statements), so
//! read-modify-write sequences cannot interleave, and the runtime commits all
//! writes made without an intervening `await` atomically: concurrent requests
//! for one user never lose an update, and a command applies whole or not at all.

use worker::{
    DurableObject, Env, Method, Request, RequestInit, Response, SqlStorage, SqlStorageValue, State,
    Stub, console_error, durable_object,
};

use crate::error::ApiError;
use crate::frontend_worker::internal;
use crate::user_id::UserId;
use crate::user_state::{
    AuditRow, COMMAND_PATH, Change, SCHEMA, StoredStatus, UserStateCommand, UserStateReply,
};

/// Binding name of the namespace; matches wrangler.toml.
const USER_STATE_BINDING: &str = "USER_STATE";

#[durable_object]
pub struct UserState {
    state: State,
    sql: SqlStorage,
}

impl DurableObject for UserState {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        // Idempotent; a failure surfaces again on the first query as a 500.
        if let Err(error) = sql.exec(SCHEMA, None) {
            console_error!("user state schema: {error}");
        }
        Self { state, sql }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let command: UserStateCommand = req.json().await?;
        let reply = match command {
            UserStateCommand::List => UserStateReply::Statuses {
                statuses: self.statuses()?,
            },
            UserStateCommand::Record {
                changes,
                only_if_changed,
            } => {
                let current = if only_if_changed {
                    self.statuses()?
                } else {
                    Vec::new()
                };
                let mut count = 0;
                for change in &changes {
                    let unchanged = only_if_changed
                        && current.iter().any(|row| {
                            row.source == change.source && Some(row.status) == change.status
                        });
                    if !unchanged {
                        self.apply(change)?;
                        count += 1;
                    }
                }
                UserStateReply::Applied { count }
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
            } => self.consume_and_record(&nonce, expires_at_ms, &change)?,
            UserStateCommand::Audit { before, limit } => UserStateReply::Audit {
                rows: self.audit(before, limit)?,
            },
            UserStateCommand::Erase => {
                self.state.storage().delete_all().await?;
                // The object lives on; recreate empty tables for later use.
                self.sql.exec(SCHEMA, None)?;
                UserStateReply::Erased
            }
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
}

#[derive(serde::Deserialize)]
struct LinkRow {
    value: String,
}

#[derive(serde::Deserialize)]
struct CountRow {
    n: i64,
}

impl UserState {
    fn link(&self, name: &str) -> worker::Result<Option<String>> {
        let rows: Vec<LinkRow> = self
            .sql
            .exec("SELECT value FROM links WHERE name = ?", vec![name.into()])?
            .to_array()?;
        Ok(rows.into_iter().next().map(|row| row.value))
    }

    fn statuses(&self) -> worker::Result<Vec<StoredStatus>> {
        let rows: Vec<StatusRow> = self
            .sql
            .exec(
                "SELECT source, status, updated_at_ms, error FROM source_status",
                None,
            )?
            .to_array()?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                // A status spelling we no longer know reads as never
                // connected; the next reconcile corrects it.
                let status = healthlink_shared::ConnectionStatus::parse(&row.status)?;
                Some(StoredStatus {
                    source: row.source,
                    status,
                    updated_at_ms: row.updated_at_ms,
                    error: row.error,
                })
            })
            .collect())
    }

    fn apply(&self, change: &Change) -> worker::Result<()> {
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
        }
        self.sql.exec(
            "INSERT INTO audit (at_ms, actor, user_id, source, action, result, aggregator)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![
                SqlStorageValue::try_from_i64(change.at_ms)?,
                change.actor.as_str().into(),
                change.user_id.as_str().into(),
                change.source.as_str().into(),
                change.action.as_str().into(),
                change.result.as_str().into(),
                change.aggregator.as_str().into(),
            ],
        )?;
        Ok(())
    }

    fn consume_and_record(
        &self,
        nonce: &str,
        expires_at_ms: i64,
        change: &Change,
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
        self.sql.exec(
            "INSERT INTO used_states (nonce, expires_at_ms) VALUES (?, ?)",
            vec![nonce.into(), SqlStorageValue::try_from_i64(expires_at_ms)?],
        )?;
        self.apply(change)?;
        Ok(UserStateReply::Recorded)
    }

    fn audit(&self, before: Option<i64>, limit: u32) -> worker::Result<Vec<AuditRow>> {
        self.sql
            .exec(
                "SELECT id, at_ms, actor, user_id, source, action, result, aggregator
                 FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?",
                vec![
                    SqlStorageValue::try_from_i64(before.unwrap_or(i64::from(i32::MAX)))?,
                    i64::from(limit).into(),
                ],
            )?
            .to_array()
    }
}

/// The Worker's side: sends commands to one user's object.
pub struct UserStateClient {
    stub: Stub,
}

impl UserStateClient {
    /// One object per user id: `get_by_name` maps the same user to the same
    /// object everywhere.
    pub fn new(env: &Env, user: &UserId) -> Result<Self, ApiError> {
        Self::named(env, user.as_str())
    }

    /// An object by name: a user id, or an index name such as
    /// [`crate::user_state::thryve_index_object`].
    pub fn named(env: &Env, name: &str) -> Result<Self, ApiError> {
        let stub = env
            .durable_object(USER_STATE_BINDING)
            .and_then(|namespace| namespace.get_by_name(name))
            .map_err(internal)?;
        Ok(Self { stub })
    }

    async fn send(&self, command: &UserStateCommand) -> Result<UserStateReply, ApiError> {
        let body = serde_json::to_string(command).map_err(internal)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_body(Some(body.into()));
        let request = Request::new_with_init(&format!("https://user-state{COMMAND_PATH}"), &init)
            .map_err(internal)?;
        let mut response = self
            .stub
            .fetch_with_request(request)
            .await
            .map_err(internal)?;
        if response.status_code() != 200 {
            console_error!("user state answered {}", response.status_code());
            return Err(ApiError::Internal);
        }
        response.json().await.map_err(internal)
    }

    pub async fn statuses(&self) -> Result<Vec<StoredStatus>, ApiError> {
        match self.send(&UserStateCommand::List).await? {
            UserStateReply::Statuses { statuses } => Ok(statuses),
            other => Err(unexpected(&other)),
        }
    }

    pub async fn record(&self, changes: Vec<Change>) -> Result<(), ApiError> {
        self.record_with(changes, false).await.map(|_| ())
    }

    /// Records only the changes that change a status; returns how many did.
    pub async fn record_changed(&self, changes: Vec<Change>) -> Result<usize, ApiError> {
        self.record_with(changes, true).await
    }

    async fn record_with(
        &self,
        changes: Vec<Change>,
        only_if_changed: bool,
    ) -> Result<usize, ApiError> {
        let command = UserStateCommand::Record {
            changes,
            only_if_changed,
        };
        match self.send(&command).await? {
            UserStateReply::Applied { count } => Ok(count),
            other => Err(unexpected(&other)),
        }
    }

    pub async fn link(&self, name: &str) -> Result<Option<String>, ApiError> {
        let command = UserStateCommand::GetLink { name: name.into() };
        match self.send(&command).await? {
            UserStateReply::Link { value } => Ok(value),
            other => Err(unexpected(&other)),
        }
    }

    pub async fn set_link(&self, name: &str, value: &str) -> Result<(), ApiError> {
        let command = UserStateCommand::SetLink {
            name: name.into(),
            value: value.into(),
        };
        match self.send(&command).await? {
            UserStateReply::Recorded => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    /// Fails with `StateAlreadyUsed`, changing nothing, on a replay.
    pub async fn consume_and_record(
        &self,
        nonce: &str,
        expires_at_ms: i64,
        change: Change,
    ) -> Result<(), ApiError> {
        let command = UserStateCommand::ConsumeAndRecord {
            nonce: nonce.to_owned(),
            expires_at_ms,
            change,
        };
        match self.send(&command).await? {
            UserStateReply::Recorded => Ok(()),
            UserStateReply::StateAlreadyUsed => Err(ApiError::StateAlreadyUsed),
            other => Err(unexpected(&other)),
        }
    }

    pub async fn audit(&self, before: Option<i64>, limit: u32) -> Result<Vec<AuditRow>, ApiError> {
        match self
            .send(&UserStateCommand::Audit { before, limit })
            .await?
        {
            UserStateReply::Audit { rows } => Ok(rows),
            other => Err(unexpected(&other)),
        }
    }

    pub async fn erase(&self) -> Result<(), ApiError> {
        match self.send(&UserStateCommand::Erase).await? {
            UserStateReply::Erased => Ok(()),
            other => Err(unexpected(&other)),
        }
    }
}

fn unexpected(reply: &UserStateReply) -> ApiError {
    console_error!("user state: unexpected reply {reply:?}");
    ApiError::Internal
}
