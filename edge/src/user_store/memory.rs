//! An in-memory [`UserStore`] for native tests, with the Durable Object's
//! semantics (each command whole or not at all), a log of the commands it
//! received, and failures injected per operation — the way a test storage
//! that can be told to fail lets a handler's recovery paths be tested.

use std::cell::RefCell;
use std::collections::BTreeMap;

use healthlink_shared::audit_export::ChainedEntry;

use super::{AuditChain, Consumed, Reservation, StoreError, UserStore};
use crate::audit_chain::{ChainState, NewAuditRow, prune_through_rows};
use crate::events::{EventsHealth, OutboxEvent, OutboxRow, event_for};
use crate::freshness::{ReportOutcome, apply_report};
use crate::links::{KEPT_AFTER_EXPIRY_MS, LinkAudit, LinkOpening, LinkRecord, LinkRefusal};
use crate::user_id::UserId;
use crate::user_state::{
    ATTEMPT_WINDOW_MS, AuditRow, Change, ObjectName, RecordRule, StoredStatus, UserRecord,
    allowed_after_erasure, attempt_allowed, changes_to_apply, pending_action, pending_delete,
    settle_unconfirmed,
};

/// The store's operations, for injecting failures and reading the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Statuses,
    Record,
    Reserve,
    Release,
    Attempt,
    Consume,
    Audit,
    Link,
    SetLink,
    Erase,
    ReportData,
    Deliveries,
    Redeliver,
    EventsHealth,
    Resume,
    PutHostedLink,
    OpenHostedLink,
    RevokeHostedLink,
    HostedLinks,
}

#[derive(Debug, Default, Clone)]
struct Object {
    erased_at_ms: Option<i64>,
    statuses: Vec<StoredStatus>,
    used_states: BTreeMap<String, i64>,
    reserved_states: BTreeMap<String, i64>,
    attempts: Vec<i64>,
    /// Each row with its place in the chain, oldest first.
    audit: Vec<(AuditRow, ChainedEntry)>,
    chain: ChainState,
    links: BTreeMap<String, String>,
    hosted_links: BTreeMap<String, LinkRecord>,
    /// Events in the order written (nothing is sent natively).
    outbox: Vec<OutboxRow>,
}

#[derive(Default)]
pub struct MemoryStore {
    objects: RefCell<BTreeMap<ObjectName, Object>>,
    /// Every call, in order, with the object it was for.
    log: RefCell<Vec<(Op, ObjectName)>>,
    /// `(op, n)`: the n-th call of `op` from now fails (1 = the next).
    failures: RefCell<Vec<(Op, usize)>>,
    /// The bound on each trail, applied whenever a row is added.
    pub retention: std::cell::Cell<crate::user_state::AuditRetention>,
    /// Audit ids are unique per object in the Durable Object; one counter
    /// for all objects here keeps them unique and increasing, which is all
    /// callers may rely on.
    next_audit_id: RefCell<i64>,
    /// Whether changes write events (events configured), as the Worker's
    /// store is told.
    pub events: std::cell::Cell<bool>,
    next_event_id: RefCell<u64>,
    bodies: RefCell<Vec<String>>,
    /// What `events_health` answers, and the endpoints resumed.
    pub health: std::cell::Cell<EventsHealth>,
    pub resumed: RefCell<Vec<String>>,
}

impl MemoryStore {
    /// Makes the `nth` call of `op` from now fail (1 = the next one),
    /// changing nothing, as a Durable Object call that never arrived would.
    pub fn fail_on(&self, op: Op, nth: usize) {
        assert!(nth >= 1);
        self.failures.borrow_mut().push((op, nth));
    }

    /// The operations received so far, in order.
    pub fn ops(&self) -> Vec<(Op, ObjectName)> {
        self.log.borrow().clone()
    }

    /// A user's audit trail, oldest first, as `(action, result, actor)`.
    pub fn trail(&self, user: &UserId) -> Vec<(String, String, String)> {
        self.object(&ObjectName::user(user))
            .audit
            .iter()
            .map(|(row, _)| (row.action.clone(), row.result.clone(), row.actor.clone()))
            .collect()
    }

    /// Whether anything but a tombstone is stored under `object`.
    pub fn holds(&self, object: &ObjectName) -> bool {
        self.objects.borrow().get(object).is_some_and(|object| {
            !(object.statuses.is_empty()
                && object.used_states.is_empty()
                && object.reserved_states.is_empty()
                && object.audit.is_empty()
                && object.links.is_empty())
        })
    }

    /// Sets a stored status directly, without an audit row (test setup).
    pub fn seed(&self, user: &UserId, source: &str, status: healthlink_shared::ConnectionStatus) {
        let mut objects = self.objects.borrow_mut();
        let object = objects.entry(ObjectName::user(user)).or_default();
        object.statuses.retain(|row| row.source != source);
        object.statuses.push(StoredStatus {
            source: source.to_owned(),
            status,
            updated_at_ms: 0,
            error: None,
            pending: None,
            deleting: false,
            data: None,
        });
    }

    fn object(&self, name: &ObjectName) -> Object {
        self.objects.borrow().get(name).cloned().unwrap_or_default()
    }

    /// Logs the call and decides whether it fails.
    fn call(&self, op: Op, object: &ObjectName) -> Result<(), StoreError> {
        self.log.borrow_mut().push((op, object.clone()));
        let mut failures = self.failures.borrow_mut();
        let mut failed = false;
        failures.retain_mut(|(failing, nth)| {
            if *failing != op {
                return true;
            }
            *nth -= 1;
            if *nth == 0 {
                failed = true;
                return false;
            }
            true
        });
        if failed { Err(StoreError) } else { Ok(()) }
    }

    /// The user's events, oldest first: `(type, data)` of each body.
    pub fn events(&self, user: &UserId) -> Vec<OutboxRow> {
        self.object(&ObjectName::user(user)).outbox
    }

    fn enqueue(&self, object: &mut Object, event: OutboxEvent, at_ms: i64) {
        let mut next = self.next_event_id.borrow_mut();
        *next += 1;
        object.outbox.push(OutboxRow {
            id: format!("msg_{next}"),
            kind: event.kind,
            created_at_ms: at_ms,
            next_at_ms: Some(at_ms),
            delivered_at_ms: None,
            failed_at_ms: None,
            attempts: Vec::new(),
        });
        self.bodies.borrow_mut().push(event.body);
    }

    /// What the user's alarm does besides delivering (nothing is sent
    /// natively): writes the `connection.stale` events due at `now_ms`,
    /// marking each period announced. Returns the types written.
    pub fn alarm(
        &self,
        user: &UserId,
        aggregator: &str,
        stale_after_ms: i64,
        now_ms: i64,
    ) -> Vec<healthlink_shared::EventType> {
        let mut objects = self.objects.borrow_mut();
        let object = objects.get_mut(&ObjectName::user(user));
        // As in the Worker: without an events endpoint the alarm does nothing.
        let Some(object) = object.filter(|_| self.events.get()) else {
            return Vec::new();
        };
        let due = crate::events::stale_events(
            user.as_str(),
            aggregator,
            &object.statuses,
            stale_after_ms,
            now_ms,
        );
        due.into_iter()
            .map(|stale| {
                let kind = stale.event.kind;
                if let Some(data) = object
                    .statuses
                    .iter_mut()
                    .find(|row| row.source == stale.source)
                    .and_then(|row| row.data.as_mut())
                {
                    data.stale_event_for_ms = Some(stale.last_data_at_ms);
                }
                self.enqueue(object, stale.event, now_ms);
                kind
            })
            .collect()
    }

    /// Every event body written, in order, across users.
    pub fn bodies(&self) -> Vec<String> {
        self.bodies.borrow().clone()
    }

    /// Appends an audit row, chained, and prunes the trail as the Durable
    /// Object does (a prefix, recorded in the chain); the row's id.
    fn append_audit(&self, object: &mut Object, row: &NewAuditRow) -> i64 {
        let mut next = self.next_audit_id.borrow_mut();
        *next += 1;
        let id = *next;
        drop(next);
        let entry = object.chain.append(id, row);
        object.audit.push((
            AuditRow {
                id,
                at_ms: row.at_ms,
                actor: row.actor.clone(),
                user_id: row.user_id.clone(),
                source: row.source.clone(),
                action: row.action.clone(),
                result: row.result.clone(),
                aggregator: row.aggregator.clone(),
                consent_version: row.consent_version.clone(),
            },
            entry,
        ));
        let kept: Vec<(i64, i64)> = object
            .audit
            .iter()
            .map(|(row, _)| (row.id, row.at_ms))
            .collect();
        if let Some(through) = prune_through_rows(&kept, self.retention.get(), row.at_ms) {
            let pruned: Vec<(AuditRow, ChainedEntry)> = object
                .audit
                .iter()
                .filter(|(row, _)| row.id <= through)
                .cloned()
                .collect();
            if let Some((last, entry)) = pruned.last() {
                object
                    .chain
                    .record_pruning(pruned.len() as u64, last.id, last.at_ms, &entry.hash);
            }
            object.audit.retain(|(row, _)| row.id > through);
        }
        id
    }

    /// Appends an audit row about `record`.
    fn audit_link(&self, object: &mut Object, record: &LinkRecord, audit: &LinkAudit) {
        self.append_audit(object, &NewAuditRow::of_link(record, audit));
    }

    fn apply(&self, object: &mut Object, change: &Change) {
        // Fresh authority brought the user back.
        object.erased_at_ms = None;
        let previous = object
            .statuses
            .iter()
            .find(|row| row.source == change.source)
            .cloned();
        if let Some(status) = change.status {
            object.statuses.retain(|row| row.source != change.source);
            object.statuses.push(StoredStatus {
                source: change.source.clone(),
                status,
                updated_at_ms: change.at_ms,
                error: change.error.clone(),
                pending: pending_action(change),
                deleting: pending_delete(change),
                // What the backend reported about its data outlives status
                // changes, as its own table does in the Durable Object.
                data: previous.as_ref().and_then(|row| row.data.clone()),
            });
        }
        let audit_id = self.append_audit(object, &NewAuditRow::from(change));
        if self.events.get()
            && let Some(event) = event_for(previous.as_ref(), change, audit_id)
        {
            self.enqueue(object, event, change.at_ms);
        }
    }
}

impl UserStore for MemoryStore {
    async fn record_of(&self, user: &UserId) -> Result<UserRecord, StoreError> {
        let name = ObjectName::user(user);
        self.call(Op::Statuses, &name)?;
        let object = self.object(&name);
        Ok(UserRecord {
            statuses: object.statuses,
            erased_at_ms: object.erased_at_ms,
        })
    }

    async fn record(
        &self,
        user: &UserId,
        changes: Vec<Change>,
        rule: RecordRule,
    ) -> Result<usize, StoreError> {
        let name = ObjectName::user(user);
        self.call(Op::Record, &name)?;
        let mut objects = self.objects.borrow_mut();
        let object = objects.entry(name).or_default();
        let changes: Vec<Change> = match rule {
            RecordRule::Always => changes,
            RecordRule::OnlyIfChanged => changes_to_apply(&object.statuses, changes),
        }
        .into_iter()
        .filter(|change| allowed_after_erasure(object.erased_at_ms, change))
        .collect();
        for change in &changes {
            self.apply(object, change);
        }
        Ok(changes.len())
    }

    async fn consume_and_record(
        &self,
        user: &UserId,
        nonce: &str,
        expires_at_ms: i64,
        change: Change,
    ) -> Result<Consumed, StoreError> {
        let name = ObjectName::user(user);
        self.call(Op::Consume, &name)?;
        let mut objects = self.objects.borrow_mut();
        let object = objects.entry(name).or_default();
        object
            .used_states
            .retain(|_, expires| *expires >= change.at_ms);
        if object.used_states.contains_key(nonce) {
            return Ok(Consumed::AlreadyUsed);
        }
        object.reserved_states.remove(nonce);
        if !allowed_after_erasure(object.erased_at_ms, &change) {
            return Ok(Consumed::ErasedBefore);
        }
        object.used_states.insert(nonce.to_owned(), expires_at_ms);
        let change = settle_unconfirmed(&object.statuses, change);
        self.apply(object, &change);
        Ok(Consumed::Recorded)
    }

    async fn audit(
        &self,
        user: &UserId,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let name = ObjectName::user(user);
        self.call(Op::Audit, &name)?;
        Ok(self
            .object(&name)
            .audit
            .into_iter()
            .map(|(row, _)| row)
            .rev()
            .filter(|row| before.is_none_or(|before| row.id < before))
            .take(limit as usize)
            .collect())
    }

    async fn audit_chain(&self, user: &UserId) -> Result<AuditChain, StoreError> {
        let name = ObjectName::user(user);
        self.call(Op::Audit, &name)?;
        let object = self.object(&name);
        Ok(AuditChain {
            chain: object.chain.summary(),
            entries: object.audit.into_iter().map(|(_, entry)| entry).collect(),
        })
    }

    async fn reserve_state(
        &self,
        user: &UserId,
        nonce: &str,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> Result<Reservation, StoreError> {
        let name = ObjectName::user(user);
        self.call(Op::Reserve, &name)?;
        let mut objects = self.objects.borrow_mut();
        let object = objects.entry(name).or_default();
        object
            .reserved_states
            .retain(|_, expires| *expires >= now_ms);
        if object.used_states.contains_key(nonce) || object.reserved_states.contains_key(nonce) {
            return Ok(Reservation::AlreadyUsed);
        }
        object
            .reserved_states
            .insert(nonce.to_owned(), expires_at_ms);
        Ok(Reservation::Reserved)
    }

    async fn release_state(&self, user: &UserId, nonce: &str) -> Result<(), StoreError> {
        let name = ObjectName::user(user);
        self.call(Op::Release, &name)?;
        if let Some(object) = self.objects.borrow_mut().get_mut(&name) {
            object.reserved_states.remove(nonce);
        }
        Ok(())
    }

    async fn attempt(
        &self,
        user: &UserId,
        at_ms: i64,
        limit: u32,
    ) -> Result<Result<(), u32>, StoreError> {
        let name = ObjectName::user(user);
        self.call(Op::Attempt, &name)?;
        let mut objects = self.objects.borrow_mut();
        let object = objects.entry(name).or_default();
        object.attempts.retain(|at| *at > at_ms - ATTEMPT_WINDOW_MS);
        let decision = attempt_allowed(&object.attempts, at_ms, limit);
        if decision.is_ok() {
            object.attempts.push(at_ms);
        }
        Ok(decision)
    }

    async fn link(&self, object: &ObjectName, name: &str) -> Result<Option<String>, StoreError> {
        self.call(Op::Link, object)?;
        Ok(self.object(object).links.get(name).cloned())
    }

    async fn set_link(
        &self,
        object: &ObjectName,
        name: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        self.call(Op::SetLink, object)?;
        self.objects
            .borrow_mut()
            .entry(object.clone())
            .or_default()
            .links
            .insert(name.to_owned(), value.to_owned());
        Ok(())
    }

    async fn erase(
        &self,
        object: &ObjectName,
        at_ms: i64,
        then: Option<OutboxEvent>,
    ) -> Result<(), StoreError> {
        self.call(Op::Erase, object)?;
        let mut emptied = Object {
            erased_at_ms: Some(at_ms),
            ..Object::default()
        };
        if let Some(event) = then {
            self.enqueue(&mut emptied, event, at_ms);
        }
        self.objects.borrow_mut().insert(object.clone(), emptied);
        Ok(())
    }

    async fn report_data(
        &self,
        user: &UserId,
        source: &str,
        last_data_at_ms: i64,
        error: Option<healthlink_shared::SyncError>,
    ) -> Result<Option<StoredStatus>, StoreError> {
        let name = ObjectName::user(user);
        self.call(Op::ReportData, &name)?;
        let mut objects = self.objects.borrow_mut();
        let Some(row) = objects
            .get_mut(&name)
            .and_then(|object| object.statuses.iter_mut().find(|row| row.source == source))
        else {
            return Ok(None);
        };
        match apply_report(Some(row), last_data_at_ms, error) {
            ReportOutcome::NotConnected => return Ok(None),
            ReportOutcome::Unchanged => {}
            ReportOutcome::Record(data) => row.data = Some(data),
        }
        Ok(Some(row.clone()))
    }

    async fn deliveries(&self, user: &UserId, limit: u32) -> Result<Vec<OutboxRow>, StoreError> {
        let name = ObjectName::user(user);
        self.call(Op::Deliveries, &name)?;
        let outbox = self.object(&name).outbox;
        Ok(outbox.into_iter().rev().take(limit as usize).collect())
    }

    async fn redeliver(
        &self,
        user: &UserId,
        id: &str,
        at_ms: i64,
    ) -> Result<Option<OutboxRow>, StoreError> {
        let name = ObjectName::user(user);
        self.call(Op::Redeliver, &name)?;
        let mut objects = self.objects.borrow_mut();
        let Some(row) = objects
            .get_mut(&name)
            .and_then(|object| object.outbox.iter_mut().find(|row| row.id == id))
        else {
            return Ok(None);
        };
        row.next_at_ms = Some(at_ms);
        row.delivered_at_ms = None;
        row.failed_at_ms = None;
        Ok(Some(row.clone()))
    }

    async fn events_health(&self, _endpoint: &str) -> Result<EventsHealth, StoreError> {
        self.call(Op::EventsHealth, &ObjectName::events_monitor())?;
        Ok(self.health.get())
    }

    async fn resume_endpoint(&self, endpoint: &str) -> Result<(), StoreError> {
        self.call(Op::Resume, &ObjectName::events_monitor())?;
        self.resumed.borrow_mut().push(endpoint.to_owned());
        let mut health = self.health.get();
        health.disabled_since_ms = None;
        self.health.set(health);
        Ok(())
    }

    async fn put_hosted_link(
        &self,
        user: &UserId,
        record: &LinkRecord,
        audit: LinkAudit,
    ) -> Result<(), StoreError> {
        let name = ObjectName::user(user);
        self.call(Op::PutHostedLink, &name)?;
        let mut objects = self.objects.borrow_mut();
        let object = objects.entry(name).or_default();
        object
            .hosted_links
            .retain(|_, kept| kept.expires_at >= record.created_at - KEPT_AFTER_EXPIRY_MS);
        object
            .hosted_links
            .insert(record.lid.clone(), record.clone());
        self.audit_link(object, record, &audit);
        Ok(())
    }

    async fn open_hosted_link(
        &self,
        user: &UserId,
        lid: &str,
        mut audit: LinkAudit,
        resume: bool,
    ) -> Result<LinkOpening, StoreError> {
        let name = ObjectName::user(user);
        self.call(Op::OpenHostedLink, &name)?;
        let mut objects = self.objects.borrow_mut();
        let object = objects.entry(name).or_default();
        let Some(mut record) = object.hosted_links.get(lid).cloned() else {
            return Ok(LinkOpening::Refused {
                refusal: LinkRefusal::Unknown,
            });
        };
        match record.open(audit.at_ms, resume) {
            Err(refusal) => Ok(LinkOpening::Refused { refusal }),
            Ok(result) => {
                audit.result = result;
                object.hosted_links.insert(lid.to_owned(), record.clone());
                self.audit_link(object, &record, &audit);
                Ok(LinkOpening::Opened {
                    record: Box::new(record),
                })
            }
        }
    }

    async fn revoke_hosted_link(
        &self,
        user: &UserId,
        lid: &str,
        audit: LinkAudit,
    ) -> Result<Option<bool>, StoreError> {
        let name = ObjectName::user(user);
        self.call(Op::RevokeHostedLink, &name)?;
        let mut objects = self.objects.borrow_mut();
        let object = objects.entry(name).or_default();
        let Some(record) = object.hosted_links.get_mut(lid) else {
            return Ok(None);
        };
        if !record.revoke(audit.at_ms) {
            return Ok(Some(false));
        }
        let record = record.clone();
        self.audit_link(object, &record, &audit);
        Ok(Some(true))
    }

    async fn hosted_links(&self, user: &UserId) -> Result<Vec<LinkRecord>, StoreError> {
        let name = ObjectName::user(user);
        self.call(Op::HostedLinks, &name)?;
        let mut records: Vec<LinkRecord> = self.object(&name).hosted_links.into_values().collect();
        records.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.lid.cmp(&a.lid)));
        Ok(records)
    }
}
