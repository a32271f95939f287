//! The user's outbox inside their Durable Object, and its delivery: events
//! are written by the same synchronous SQL step as the change they report
//! (`UserState::apply`), and an alarm sends them to the host, in order, one
//! at a time, retrying on the schedule of [`crate::events`]. The same alarm
//! also wakes at the next staleness deadline and writes `connection.stale`
//! ([`crate::freshness`] decides). Also the events monitor, one object that
//! knows how delivery stands across users (`/healthz`) and which endpoints
//! answered 410.

use healthlink_shared::EventType;
use worker::{Response, SqlStorageValue};

use crate::aggregator::http::{HttpClient, HttpRequest, Method, TransportError};
use crate::config::EventsConfig;
use crate::events::{
    Attempt, EventsHealth, KEPT_DELIVERED, Next, OutboxEvent, OutboxRow, endpoint_key, next_step,
    paused_recheck_ms, retry_at, signature_header, stale_events,
};
use crate::fetch_client::FetchClient;
use crate::freshness::{next_stale_check, next_wake};
use crate::user_state::{
    EVENTS_REPORTED_LINK as REPORTED_LINK, ObjectName, USER_ID_LINK, UserStateCommand,
    UserStateReply,
};
use crate::user_state_do::UserState;

/// Events one alarm sends at most before handing over to a fresh alarm
/// (a backlog drains in steps, each well inside the alarm's time limit).
const PER_ALARM: usize = 50;
/// Wall time one alarm spends sending before handing over.
const ALARM_BUDGET_MS: i64 = 20_000;
/// How long a user's object trusts what the monitor said about the
/// endpoint being disabled, so a busy outbox asks it rarely.
const ENDPOINT_STATE_TTL_MS: i64 = 30_000;

#[derive(serde::Deserialize)]
struct HeadRow {
    seq: i64,
    id: String,
    #[serde(rename = "type")]
    kind: String,
    body: String,
    next_at_ms: i64,
    failures: i64,
}

#[derive(serde::Deserialize)]
struct ListedRow {
    seq: i64,
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created_at_ms: i64,
    next_at_ms: Option<i64>,
    delivered_at_ms: Option<i64>,
    failed_at_ms: Option<i64>,
}

#[derive(serde::Deserialize)]
struct AttemptRow {
    at_ms: i64,
    outcome: String,
}

#[derive(serde::Deserialize)]
struct HealthRow {
    failing: i64,
    oldest_ms: Option<i64>,
}

#[derive(serde::Deserialize)]
struct DisabledRow {
    at_ms: i64,
}

fn event_type(spelling: &str) -> Option<EventType> {
    EventType::ALL
        .into_iter()
        .find(|kind| kind.as_str() == spelling)
}

impl UserState {
    /// Appends an event, due now; keeps only the newest delivered rows.
    pub(crate) fn enqueue(&self, event: &OutboxEvent, at_ms: i64) -> worker::Result<()> {
        let id = crate::isolate::random_uuid()
            .map(|uuid| format!("msg_{}", uuid.replace('-', "")))
            .ok_or_else(|| worker::Error::RustError("no crypto.randomUUID".into()))?;
        self.sql.exec(
            "INSERT INTO outbox (id, type, body, created_at_ms, next_at_ms) VALUES (?, ?, ?, ?, ?)",
            vec![
                id.as_str().into(),
                event.kind.as_str().into(),
                event.body.as_str().into(),
                SqlStorageValue::try_from_i64(at_ms)?,
                SqlStorageValue::try_from_i64(at_ms)?,
            ],
        )?;
        self.sql.exec(
            "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox
               WHERE delivered_at_ms IS NOT NULL ORDER BY seq DESC LIMIT -1 OFFSET ?)",
            vec![i64::from(KEPT_DELIVERED).into()],
        )?;
        self.sql.exec(
            "DELETE FROM outbox_attempts WHERE seq NOT IN (SELECT seq FROM outbox)",
            None,
        )?;
        Ok(())
    }

    /// Makes sure an alarm will look at the outbox when something in it is
    /// waiting, and at the sources when one will turn stale: after every
    /// write, so no recorded event is left behind and a new deadline (data
    /// reported, a source connected again) is not missed. An alarm already
    /// set earlier stays; it sets the next one itself.
    pub(crate) async fn ensure_alarm(&self) -> worker::Result<()> {
        let Some(wanted) = self.next_wake()? else {
            return Ok(());
        };
        let storage = self.state.storage();
        if storage
            .get_alarm()
            .await?
            .is_none_or(|alarm| alarm > wanted)
        {
            storage
                .set_alarm((wanted - crate::isolate::now_ms()).max(0))
                .await?;
        }
        Ok(())
    }

    /// When the object must wake next ([`next_wake`]): for the outbox's
    /// head, or for the next staleness deadline (with events configured).
    fn next_wake(&self) -> worker::Result<Option<i64>> {
        let stale_check = match self.stale_after_ms() {
            Some(stale_after_ms) => next_stale_check(&self.statuses()?, stale_after_ms),
            None => None,
        };
        Ok(next_wake(
            self.head()?.map(|head| head.next_at_ms),
            stale_check,
        ))
    }

    /// The staleness threshold, when events are configured (without them
    /// there is nobody to tell).
    fn stale_after_ms(&self) -> Option<i64> {
        let config = crate::isolate::config(&self.env);
        let config = config.as_ref().as_ref().ok()?;
        config.events.as_ref().map(|_| config.stale_after_ms)
    }

    /// Writes the `connection.stale` events due now into the outbox, each
    /// with its period marked announced in the same step, so a source is
    /// announced once per period however often the alarm runs.
    fn write_stale_events(&self, aggregator: &str, now_ms: i64) -> worker::Result<()> {
        let Some(stale_after_ms) = self.stale_after_ms() else {
            return Ok(());
        };
        let rows = self.statuses()?;
        let Some(user_id) = self.link(USER_ID_LINK)? else {
            return Ok(());
        };
        for stale in stale_events(&user_id, aggregator, &rows, stale_after_ms, now_ms) {
            self.enqueue(&stale.event, now_ms)?;
            self.sql.exec(
                "UPDATE source_data SET stale_event_for_ms = ? WHERE source = ?",
                vec![
                    SqlStorageValue::try_from_i64(stale.last_data_at_ms)?,
                    stale.source.as_str().into(),
                ],
            )?;
        }
        Ok(())
    }

    /// The first event still to deliver: the order is per user.
    fn head(&self) -> worker::Result<Option<HeadRow>> {
        let rows: Vec<HeadRow> = self
            .sql
            .exec(
                "SELECT seq, id, type, body, next_at_ms, failures FROM outbox
                 WHERE next_at_ms IS NOT NULL ORDER BY seq LIMIT 1",
                None,
            )?
            .to_array()?;
        Ok(rows.into_iter().next())
    }

    /// The alarm: writes the `connection.stale` events now due, sends what
    /// is due, in order, and sets the next alarm (the outbox's next attempt
    /// or the next staleness deadline, whichever is first).
    pub(crate) async fn deliver_due(&self) -> worker::Result<Response> {
        let config = crate::isolate::config(&self.env);
        let Ok(config) = config.as_ref().as_ref() else {
            return Response::empty();
        };
        // Events switched off: the outbox waits, nothing is lost.
        let Some(events) = config.events.as_ref() else {
            return Response::empty();
        };
        let started = crate::isolate::now_ms();
        self.write_stale_events(config.aggregator.name(), started)?;
        let storage = self.state.storage();
        let mut handed_over = false;
        for _ in 0..PER_ALARM {
            let now = crate::isolate::now_ms();
            let head = self.head()?;
            if next_step(head.as_ref().map(|head| head.next_at_ms), now) != Next::Send {
                break;
            }
            let Some(head) = head else { break };
            if self.endpoint_disabled(events).await? {
                self.postpone(&head, now + paused_recheck_ms(&events.schedule_ms))?;
                continue;
            }
            let attempt = send(events, &head).await;
            self.settle(&head, &attempt, events)?;
            if crate::isolate::now_ms() - started > ALARM_BUDGET_MS {
                storage.set_alarm(0).await?;
                handed_over = true;
                break;
            }
        }
        // Also after PER_ALARM sends with more due: the next alarm is then
        // at once.
        if !handed_over && let Some(at) = self.next_wake()? {
            storage
                .set_alarm((at - crate::isolate::now_ms()).max(0))
                .await?;
        }
        self.report_health().await;
        Response::empty()
    }

    fn postpone(&self, head: &HeadRow, at_ms: i64) -> worker::Result<()> {
        self.sql.exec(
            "UPDATE outbox SET next_at_ms = ? WHERE seq = ?",
            vec![
                SqlStorageValue::try_from_i64(at_ms)?,
                SqlStorageValue::try_from_i64(head.seq)?,
            ],
        )?;
        Ok(())
    }

    /// Records an attempt and what follows from it, in one step.
    fn settle(
        &self,
        head: &HeadRow,
        attempt: &Attempt,
        events: &EventsConfig,
    ) -> worker::Result<()> {
        let now = crate::isolate::now_ms();
        let seq = SqlStorageValue::try_from_i64(head.seq)?;
        self.sql.exec(
            "INSERT INTO outbox_attempts (seq, at_ms, outcome) VALUES (?, ?, ?)",
            vec![
                seq.clone(),
                SqlStorageValue::try_from_i64(now)?,
                attempt.spelling().into(),
            ],
        )?;
        match attempt {
            Attempt::Delivered => {
                self.sql.exec(
                    "UPDATE outbox SET next_at_ms = NULL, delivered_at_ms = ? WHERE seq = ?",
                    vec![SqlStorageValue::try_from_i64(now)?, seq],
                )?;
                // Once the host knows of an erasure, nothing about the user
                // stays, not even the record of having told it.
                if event_type(&head.kind) == Some(EventType::UserErased) {
                    self.sql.exec("DELETE FROM outbox", None)?;
                    self.sql.exec("DELETE FROM outbox_attempts", None)?;
                }
            }
            Attempt::Gone => {
                ENDPOINT_STATE.with(|cell| {
                    cell.replace(Some((endpoint_key(&events.url), now, Some(now))));
                });
                self.postpone(head, now + paused_recheck_ms(&events.schedule_ms))?;
                self.pending_gone.set(true);
            }
            Attempt::Failed(_) => {
                let failures = usize::try_from(head.failures + 1).unwrap_or(usize::MAX);
                match retry_at(failures, &events.schedule_ms, now, crate::isolate::jitter()) {
                    Some(at) => self.sql.exec(
                        "UPDATE outbox SET failures = failures + 1, next_at_ms = ? WHERE seq = ?",
                        vec![SqlStorageValue::try_from_i64(at)?, seq],
                    )?,
                    None => self.sql.exec(
                        "UPDATE outbox SET failures = failures + 1, next_at_ms = NULL,
                           failed_at_ms = ? WHERE seq = ?",
                        vec![SqlStorageValue::try_from_i64(now)?, seq],
                    )?,
                };
            }
        }
        Ok(())
    }

    /// Whether the configured endpoint answered 410 and nobody resumed it,
    /// as the monitor says (remembered for a while per isolate).
    async fn endpoint_disabled(&self, events: &EventsConfig) -> worker::Result<bool> {
        let endpoint = endpoint_key(&events.url);
        let now = crate::isolate::now_ms();
        let ttl = ENDPOINT_STATE_TTL_MS.min(paused_recheck_ms(&events.schedule_ms));
        let cached = ENDPOINT_STATE.with(|cell| {
            cell.borrow()
                .as_ref()
                .filter(|(key, at, _)| *key == endpoint && now - at < ttl)
                .map(|(_, _, disabled)| disabled.is_some())
        });
        if let Some(disabled) = cached {
            return Ok(disabled);
        }
        let health = match self
            .ask_monitor(&UserStateCommand::EventsHealth {
                endpoint: endpoint.clone(),
            })
            .await?
        {
            UserStateReply::EventsHealth { health } => health,
            _ => EventsHealth::default(),
        };
        ENDPOINT_STATE.with(|cell| {
            cell.replace(Some((endpoint, now, health.disabled_since_ms)));
        });
        Ok(health.disabled_since_ms.is_some())
    }

    /// Tells the monitor how this object stands when that changed (and a
    /// 410, which disables the endpoint for everyone). Best effort: a lost
    /// report is corrected by the next one.
    async fn report_health(&self) {
        let Ok(failing) = self.failing() else {
            return;
        };
        if self.pending_gone.replace(false) {
            let config = crate::isolate::config(&self.env);
            if let Some(events) = config
                .as_ref()
                .as_ref()
                .ok()
                .and_then(|c| c.events.as_ref())
            {
                let _ = self
                    .ask_monitor(&UserStateCommand::DisableEndpoint {
                        endpoint: endpoint_key(&events.url),
                        at_ms: crate::isolate::now_ms(),
                    })
                    .await;
            }
        }
        // What was last told is kept with the outbox, so a healthy object
        // that wakes up again does not tell the monitor anything.
        let told = format!("{}:{}", failing.0, failing.1.unwrap_or(0));
        let last = self.link(REPORTED_LINK).ok().flatten();
        let never_failed = last.is_none() && failing.0 == 0;
        if never_failed || last.as_deref() == Some(told.as_str()) {
            return;
        }
        let report = UserStateCommand::ReportHealth {
            object: self.state.id().to_string(),
            failing: failing.0,
            oldest_ms: failing.1,
        };
        if self.ask_monitor(&report).await.is_ok() {
            let _ = self.sql.exec(
                "INSERT INTO links (name, value) VALUES (?, ?)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                vec![REPORTED_LINK.into(), told.as_str().into()],
            );
        }
    }

    /// Undelivered events that failed at least once or were given up, and
    /// when the oldest was written.
    fn failing(&self) -> worker::Result<(u64, Option<i64>)> {
        let rows: Vec<HealthRow> = self
            .sql
            .exec(
                "SELECT COUNT(*) AS failing, MIN(created_at_ms) AS oldest_ms FROM outbox
                 WHERE delivered_at_ms IS NULL AND (failures > 0 OR failed_at_ms IS NOT NULL)",
                None,
            )?
            .to_array()?;
        let row = rows.into_iter().next();
        Ok((
            row.as_ref()
                .map_or(0, |row| u64::try_from(row.failing).unwrap_or(0)),
            row.and_then(|row| row.oldest_ms),
        ))
    }

    async fn ask_monitor(&self, command: &UserStateCommand) -> worker::Result<UserStateReply> {
        let stub = crate::user_state_do::user_state_namespace(&self.env)?
            .get_by_name(ObjectName::events_monitor().as_str())?;
        let mut init = worker::RequestInit::new();
        init.with_method(worker::Method::Post)
            .with_body(Some(serde_json::to_string(command)?.into()));
        let request = worker::Request::new_with_init(
            &format!("https://user-state{}", crate::user_state::COMMAND_PATH),
            &init,
        )?;
        stub.fetch_with_request(request).await?.json().await
    }

    /// The newest events with their attempts, newest first.
    pub(crate) fn deliveries(&self, limit: u32) -> worker::Result<Vec<OutboxRow>> {
        let rows: Vec<ListedRow> = self
            .sql
            .exec(
                "SELECT seq, id, type, created_at_ms, next_at_ms, delivered_at_ms, failed_at_ms
                 FROM outbox ORDER BY seq DESC LIMIT ?",
                vec![i64::from(limit).into()],
            )?
            .to_array()?;
        rows.into_iter()
            .filter_map(|row| Some((event_type(&row.kind)?, row)))
            .map(|(kind, row)| {
                let attempts: Vec<AttemptRow> = self
                    .sql
                    .exec(
                        "SELECT at_ms, outcome FROM outbox_attempts WHERE seq = ? ORDER BY at_ms",
                        vec![SqlStorageValue::try_from_i64(row.seq)?],
                    )?
                    .to_array()?;
                Ok(OutboxRow {
                    id: row.id,
                    kind,
                    created_at_ms: row.created_at_ms,
                    next_at_ms: row.next_at_ms,
                    delivered_at_ms: row.delivered_at_ms,
                    failed_at_ms: row.failed_at_ms,
                    attempts: attempts
                        .into_iter()
                        .map(|attempt| (attempt.at_ms, attempt.outcome))
                        .collect(),
                })
            })
            .collect()
    }

    /// Due again now, failures forgotten, the same id.
    pub(crate) fn redeliver(&self, id: &str, at_ms: i64) -> worker::Result<Option<OutboxRow>> {
        self.sql.exec(
            "UPDATE outbox SET next_at_ms = ?, failures = 0, delivered_at_ms = NULL,
               failed_at_ms = NULL WHERE id = ?",
            vec![SqlStorageValue::try_from_i64(at_ms)?, id.into()],
        )?;
        Ok(self
            .deliveries(KEPT_DELIVERED + 1_000)?
            .into_iter()
            .find(|row| row.id == id))
    }

    /// The monitor's side of the commands above.
    pub(crate) fn monitor(&self, command: &UserStateCommand) -> worker::Result<UserStateReply> {
        match command {
            UserStateCommand::ReportHealth {
                object, failing: 0, ..
            } => {
                self.sql.exec(
                    "DELETE FROM delivery_health WHERE object = ?",
                    vec![object.as_str().into()],
                )?;
            }
            UserStateCommand::ReportHealth {
                object,
                failing,
                oldest_ms,
            } => {
                self.sql.exec(
                    "INSERT INTO delivery_health (object, failing, oldest_ms) VALUES (?, ?, ?)
                     ON CONFLICT (object) DO UPDATE SET failing = excluded.failing,
                       oldest_ms = excluded.oldest_ms",
                    vec![
                        object.as_str().into(),
                        SqlStorageValue::try_from_i64(i64::try_from(*failing).unwrap_or(i64::MAX))?,
                        SqlStorageValue::try_from_i64(oldest_ms.unwrap_or(0))?,
                    ],
                )?;
            }
            UserStateCommand::DisableEndpoint { endpoint, at_ms } => {
                self.sql.exec(
                    "INSERT INTO disabled_endpoints (endpoint, at_ms) VALUES (?, ?)
                     ON CONFLICT (endpoint) DO NOTHING",
                    vec![
                        endpoint.as_str().into(),
                        SqlStorageValue::try_from_i64(*at_ms)?,
                    ],
                )?;
            }
            UserStateCommand::ResumeEndpoint { endpoint } => {
                self.sql.exec(
                    "DELETE FROM disabled_endpoints WHERE endpoint = ?",
                    vec![endpoint.as_str().into()],
                )?;
            }
            UserStateCommand::EventsHealth { endpoint } => {
                let rows: Vec<HealthRow> = self
                    .sql
                    .exec(
                        "SELECT COALESCE(SUM(failing), 0) AS failing, MIN(oldest_ms) AS oldest_ms
                         FROM delivery_health",
                        None,
                    )?
                    .to_array()?;
                let disabled: Vec<DisabledRow> = self
                    .sql
                    .exec(
                        "SELECT at_ms FROM disabled_endpoints WHERE endpoint = ?",
                        vec![endpoint.as_str().into()],
                    )?
                    .to_array()?;
                let row = rows.into_iter().next();
                return Ok(UserStateReply::EventsHealth {
                    health: EventsHealth {
                        failing: row
                            .as_ref()
                            .map_or(0, |row| u64::try_from(row.failing).unwrap_or(0)),
                        oldest_failing_at_ms: row.and_then(|row| row.oldest_ms),
                        disabled_since_ms: disabled.first().map(|row| row.at_ms),
                    },
                });
            }
            _ => return Err(worker::Error::RustError("not a monitor command".into())),
        }
        Ok(UserStateReply::Recorded)
    }
}

thread_local! {
    /// Per isolate: `(endpoint key, when asked, disabled since)`.
    static ENDPOINT_STATE: std::cell::RefCell<Option<(String, i64, Option<i64>)>> =
        const { std::cell::RefCell::new(None) };
}

/// One attempt: the Standard Webhooks headers over the stored body, with
/// the configured time limit; redirects are not followed (a 3xx is a
/// failure the host must fix, and following it could leak the event).
async fn send(events: &EventsConfig, head: &HeadRow) -> Attempt {
    let timestamp = crate::isolate::now_ms() / 1000;
    let request = HttpRequest {
        method: Method::Post,
        url: events.url.clone(),
        headers: vec![
            ("content-type", "application/json".to_owned()),
            ("webhook-id", head.id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
            (
                "webhook-signature",
                signature_header(&events.keys, &head.id, timestamp, &head.body),
            ),
            ("user-agent", "Healthlink-Events/1".to_owned()),
        ],
        body: Some(head.body.clone()),
    };
    let client = FetchClient {
        timeout_ms: events.timeout_ms,
    };
    Attempt::of(match client.send(request).await {
        Ok(response) => Ok(response.status),
        Err(TransportError::Timeout) => Err(true),
        Err(TransportError::Failed) => Err(false),
    })
}
