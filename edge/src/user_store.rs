//! The user's Durable Object as a handler sees it: a small trait over the
//! commands of [`crate::user_state`], so every handler runs natively against
//! an in-memory store ([`memory`], tests only) and in the Worker against
//! the Durable Object client (`user_state_do`, wasm32 only).
//!
//! Also here: the Thryve `endUserId` links, written index first, which the
//! Thryve aggregator reads and writes through [`ThryveLinks`].

#[cfg(test)]
pub mod memory;

use crate::aggregator::{AggregatorError, UserLinks};
use crate::connections::ListView;
use crate::error::ApiError;
use crate::events::{EventsHealth, OutboxEvent, OutboxRow};
use crate::links::{LinkAudit, LinkOpening, LinkRecord};
use crate::user_id::UserId;
use crate::user_state::{AuditRow, Change, ObjectName, RecordRule, StoredStatus, UserRecord};

/// In a user's object: that user's Thryve `endUserId`.
pub const THRYVE_END_USER_LINK: &str = "thryve_end_user";
/// In an index object: the user id it points to.
pub const INDEX_USER_LINK: &str = "user";

/// Storage failed. The adapter has logged what happened (runtime errors
/// carry none of our secrets); callers only learn that it did not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreError;

impl From<StoreError> for ApiError {
    fn from(_: StoreError) -> Self {
        ApiError::Internal
    }
}

impl From<StoreError> for AggregatorError {
    fn from(_: StoreError) -> Self {
        AggregatorError::Internal
    }
}

/// How consuming a return state ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consumed {
    /// The nonce was fresh: it is now used, and the change is recorded.
    Recorded,
    /// The nonce was used before: nothing changed.
    AlreadyUsed,
    /// The user was erased after the state was issued: nothing changed.
    ErasedBefore,
}

/// A status list the store wrote itself ([`UserStore::written_list`]),
/// handed on to the client unread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WrittenList {
    /// JSON written in this process.
    Text(String),
    /// The Durable Object's reply body, streamed through as it is.
    #[cfg(target_arch = "wasm32")]
    Stream(worker::web_sys::ReadableStream),
}

/// A user's whole audit trail with its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditChain {
    pub chain: healthlink_shared::audit_export::ChainSummary,
    /// Oldest first.
    pub entries: Vec<healthlink_shared::audit_export::ChainedEntry>,
}

/// How a nonce reservation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Reserved for this return; nobody else may use it.
    Reserved,
    /// Used or reserved before: a replay.
    AlreadyUsed,
}

/// One store of per-user state. Each method is one command to one object,
/// applied whole or not at all. Futures are not `Send`: a Worker is
/// single-threaded.
#[allow(async_fn_in_trait)]
pub trait UserStore {
    /// The user's stored statuses (sources never connected have no row)
    /// and tombstone.
    async fn record_of(&self, user: &UserId) -> Result<UserRecord, StoreError>;

    /// The status list `view` describes, written from the user's record by
    /// the store itself; `None` when the reading session predates the
    /// user's erasure. For aggregators with no status view of their own,
    /// where the record is the whole truth (one round trip, nothing parsed
    /// and written again on the way out).
    async fn written_list(
        &self,
        user: &UserId,
        view: &ListView,
    ) -> Result<Option<WrittenList>, StoreError> {
        let Some(list) = view.render(&self.record_of(user).await?) else {
            return Ok(None);
        };
        let text = serde_json::to_string(&list).map_err(|_| StoreError)?;
        Ok(Some(WrittenList::Text(text)))
    }

    /// The user's stored statuses alone.
    async fn statuses(&self, user: &UserId) -> Result<Vec<StoredStatus>, StoreError> {
        Ok(self.record_of(user).await?.statuses)
    }

    /// Applies the changes allowed by `rule` and by the tombstone
    /// ([`crate::user_state::allowed_after_erasure`]), each status with its
    /// audit row; returns how many were applied.
    async fn record(
        &self,
        user: &UserId,
        changes: Vec<Change>,
        rule: RecordRule,
    ) -> Result<usize, StoreError>;

    /// Marks a return state's nonce as used and applies `change`, in one
    /// step; or does nothing at all if the nonce was used before or the
    /// user was erased since the state was issued.
    async fn consume_and_record(
        &self,
        user: &UserId,
        nonce: &str,
        expires_at_ms: i64,
        change: Change,
    ) -> Result<Consumed, StoreError>;

    /// Audit rows with `id < before` (all if `None`), newest first.
    async fn audit(
        &self,
        user: &UserId,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditRow>, StoreError>;

    /// The whole trail, oldest first, and its chain (for the export).
    async fn audit_chain(&self, user: &UserId) -> Result<AuditChain, StoreError>;

    /// Reserves a return state's nonce (see `UserStateCommand::Reserve`).
    async fn reserve_state(
        &self,
        user: &UserId,
        nonce: &str,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> Result<Reservation, StoreError>;

    /// Gives a reservation back.
    async fn release_state(&self, user: &UserId, nonce: &str) -> Result<(), StoreError>;

    /// Counts an attempt; `Err(seconds)` when there were `limit` in the
    /// last minute already.
    async fn attempt(
        &self,
        user: &UserId,
        at_ms: i64,
        limit: u32,
    ) -> Result<Result<(), u32>, StoreError>;

    async fn link(&self, object: &ObjectName, name: &str) -> Result<Option<String>, StoreError>;

    async fn set_link(
        &self,
        object: &ObjectName,
        name: &str,
        value: &str,
    ) -> Result<(), StoreError>;

    /// Deletes everything the object holds and leaves a tombstone with
    /// `at_ms`, the time of the erasure, and `then` in the emptied outbox.
    async fn erase(
        &self,
        object: &ObjectName,
        at_ms: i64,
        then: Option<OutboxEvent>,
    ) -> Result<(), StoreError>;

    /// Records that data from `source` last arrived at `last_data_at_ms`,
    /// as [`crate::freshness::apply_report`] decides; returns the source's
    /// row afterwards, or `None` when it is not connected (nothing stored).
    async fn report_data(
        &self,
        user: &UserId,
        source: &str,
        last_data_at_ms: i64,
        error: Option<healthlink_shared::SyncError>,
    ) -> Result<Option<StoredStatus>, StoreError>;

    /// The user's newest events (at most `limit`), newest first.
    async fn deliveries(&self, user: &UserId, limit: u32) -> Result<Vec<OutboxRow>, StoreError>;

    /// Starts an event's delivery again (same id); `None` if there is none
    /// with that id.
    async fn redeliver(
        &self,
        user: &UserId,
        id: &str,
        at_ms: i64,
    ) -> Result<Option<OutboxRow>, StoreError>;

    /// Delivery across all users, and whether `endpoint` is disabled.
    async fn events_health(&self, endpoint: &str) -> Result<EventsHealth, StoreError>;

    /// Re-enables an endpoint that answered 410.
    async fn resume_endpoint(&self, endpoint: &str) -> Result<(), StoreError>;

    /// Keeps a newly minted hosted connect link, with its audit row.
    async fn put_hosted_link(
        &self,
        user: &UserId,
        record: &LinkRecord,
        audit: LinkAudit,
    ) -> Result<(), StoreError>;

    /// Opens a hosted link if its record allows, keeping the change and its
    /// audit row (whose result the opening decides) in one step.
    /// `resume`: a redirect flow started on the page came back
    /// ([`LinkRecord::open`]).
    async fn open_hosted_link(
        &self,
        user: &UserId,
        lid: &str,
        audit: LinkAudit,
        resume: bool,
    ) -> Result<LinkOpening, StoreError>;

    /// Revokes a hosted link: `None` if the user has no such link,
    /// `Some(false)` if it was revoked already.
    async fn revoke_hosted_link(
        &self,
        user: &UserId,
        lid: &str,
        audit: LinkAudit,
    ) -> Result<Option<bool>, StoreError>;

    /// The user's hosted link records, newest first.
    async fn hosted_links(&self, user: &UserId) -> Result<Vec<LinkRecord>, StoreError>;
}

/// Thryve's `endUserId` per user, kept in the user's object, with the
/// reverse index webhooks need.
pub struct ThryveLinks<'a, S> {
    store: &'a S,
}

impl<'a, S: UserStore> ThryveLinks<'a, S> {
    pub fn new(store: &'a S) -> Self {
        Self { store }
    }

    /// The user a Thryve `endUserId` belongs to, if it is one of ours.
    pub async fn user_for(&self, end_user_id: &str) -> Result<Option<UserId>, StoreError> {
        let index = ObjectName::thryve_index(end_user_id);
        let Some(user) = self.store.link(&index, INDEX_USER_LINK).await? else {
            return Ok(None);
        };
        // Only the edge writes index objects, and only with user ids it
        // parsed; anything else is corrupt storage.
        UserId::parse(&user).map(Some).map_err(|_| StoreError)
    }
}

impl<S: UserStore> UserLinks for ThryveLinks<'_, S> {
    async fn get(&self, user: &UserId) -> Result<Option<String>, AggregatorError> {
        Ok(self
            .store
            .link(&ObjectName::user(user), THRYVE_END_USER_LINK)
            .await?)
    }

    /// The index is written first, so a webhook can find the user as soon
    /// as Thryve knows the reference; a failure in between leaves an index
    /// entry the next attempt overwrites, never a user Thryve cannot name.
    async fn put(&self, user: &UserId, reference: &str) -> Result<(), AggregatorError> {
        self.store
            .set_link(
                &ObjectName::thryve_index(reference),
                INDEX_USER_LINK,
                user.as_str(),
            )
            .await?;
        self.store
            .set_link(&ObjectName::user(user), THRYVE_END_USER_LINK, reference)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::memory::{MemoryStore, Op};
    use super::*;
    use crate::aggregator::http::testing::block_on;

    fn alice() -> UserId {
        UserId::parse("alice").unwrap()
    }

    #[test]
    fn a_link_is_found_both_ways() {
        let store = MemoryStore::default();
        let links = ThryveLinks::new(&store);
        block_on(links.put(&alice(), "eu-1")).unwrap();
        assert_eq!(block_on(links.get(&alice())), Ok(Some("eu-1".into())));
        assert_eq!(block_on(links.user_for("eu-1")), Ok(Some(alice())));
        assert_eq!(block_on(links.user_for("eu-2")), Ok(None));
    }

    #[test]
    fn the_index_is_written_before_the_users_link() {
        let store = MemoryStore::default();
        store.fail_on(Op::SetLink, 2);
        let links = ThryveLinks::new(&store);
        assert_eq!(
            block_on(links.put(&alice(), "eu-1")),
            Err(AggregatorError::Internal)
        );
        // The index exists (a retry overwrites it); the user has no link,
        // so the next connect creates one again.
        assert_eq!(block_on(links.user_for("eu-1")), Ok(Some(alice())));
        assert_eq!(block_on(links.get(&alice())), Ok(None));
    }
}
