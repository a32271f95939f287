//! The per-user Durable Object: one SQLite database per user id holding that
//! user's connection state. A Durable Object runs one request at a time per
//! user, so read-modify-write sequences in here cannot interleave.

use worker::{DurableObject, Env, Request, Response, SqlStorage, State, durable_object};

use crate::user_state::{PATH_STATUSES, SCHEMA, StoredStatus};

#[durable_object]
pub struct UserState {
    sql: SqlStorage,
}

impl DurableObject for UserState {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        // Creating tables is idempotent; a failure here would surface again on
        // the first query, where it becomes a 500 for that request.
        if let Err(error) = sql.exec(SCHEMA, None) {
            worker::console_error!("user state schema: {error}");
        }
        Self { sql }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let url = req.url()?;
        match (req.method().as_ref(), url.path()) {
            ("GET", PATH_STATUSES) => Response::from_json(&self.statuses()?),
            _ => Response::error("unknown user state operation", 404),
        }
    }
}

#[derive(serde::Deserialize)]
struct StatusRow {
    source: String,
    status: String,
    updated_at_ms: i64,
    error: Option<String>,
}

impl UserState {
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
                // A status spelling we no longer know is dropped rather than
                // failing the whole list: the source then shows as never
                // connected, which the next reconcile corrects.
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
}
