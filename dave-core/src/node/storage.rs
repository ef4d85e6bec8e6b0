//! PUT receipt, store events, re-propagation and restore (docs/protocol.md §7, §8).

use std::net::SocketAddr;

use crate::dat::{Dat, DatRef};
use crate::event::{Event, RefuseReason, RejectReason};
use crate::id::RecordId;
use crate::store::Refusal;
use crate::timer::Timer;
use crate::wire::Message;

use super::Node;

/// Records examined per re-propagation step; a sweep of a large store is spread over several
/// steps so that no single call queues an unbounded burst of datagrams.
const REPUBLISH_BATCH: usize = 256;

/// What [`Node::restore`] did with a backup.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RestoreReport {
    /// Records verified and stored.
    pub loaded: usize,
    /// Records that failed §3 (corrupt, expired, forged) and were skipped.
    pub invalid: usize,
    /// Valid records the store refused (stale duplicates, no room).
    pub refused: usize,
}

impl Node {
    /// A PUT: verify (§3) and insert (§7). No answer is sent (§8). A version we already hold is
    /// recognised before any signature check, so repeated pushes cost a map lookup.
    pub(super) fn on_put(&mut self, from: SocketAddr, dat: &DatRef<'_>) {
        let record = dat.record_id();
        let sender = self.peers.peer_at(&from).and_then(|p| p.node_id());
        if let Some(held) = self
            .store
            .version_of(record)
            .filter(|held| *held >= dat.version())
        {
            // Only a sender of the very version we hold is known to hold ours; one that sent an
            // older version does not, and re-propagation must still reach it (§8).
            if let Some(id) = sender.filter(|_| held == dat.version()) {
                self.store.mark_pushed(record, id);
            }
            self.emit(Event::RecordRefused {
                record,
                reason: RefuseReason::Store(Refusal::Stale),
            });
            return;
        }
        if let Err(e) = self.check_record(dat) {
            return self.reject(from, RejectReason::InvalidRecord(e));
        }
        // The sender holds it: store_record remembers that, so we never push it back there.
        self.store_record(dat.to_owned_dat(), sender);
    }

    /// Inserts a verified record, emitting stored/evicted/refused and persist/forget events.
    /// `holder` is a peer known to hold it already. Returns whether it was stored.
    pub(super) fn store_record(&mut self, dat: Dat, holder: Option<crate::id::NodeId>) -> bool {
        let record = dat.record_id();
        let persist = self.persisting().then(|| dat.clone());
        let retention = self.store.retention_of(dat.time, record);
        let mut evicted = std::mem::take(&mut self.evicted);
        evicted.clear();
        let result = self.store.insert(dat, self.now.as_millis(), &mut evicted);
        self.report_evictions(&mut evicted);
        self.evicted = evicted;
        match result {
            Ok(inserted) => {
                if let Some(id) = holder {
                    self.store.mark_pushed(record, id);
                }
                self.emit(Event::RecordStored {
                    record,
                    replaced: inserted.replaced.is_some(),
                });
                if let Some(dat) = persist {
                    self.emit(Event::Persist(dat));
                }
                self.arm_expiry(retention);
                true
            }
            Err(refusal) => {
                self.emit(Event::RecordRefused {
                    record,
                    reason: RefuseReason::Store(refusal),
                });
                false
            }
        }
    }

    fn report_evictions(&mut self, evicted: &mut Vec<(Dat, crate::store::EvictReason)>) {
        for (dat, reason) in evicted.drain(..) {
            let record = dat.record_id();
            self.emit(Event::RecordEvicted { record, reason });
            if self.persisting() {
                self.emit(Event::Forget(record));
            }
        }
    }

    /// The expiry timer: drop every record whose retention key passed.
    pub(super) fn expire_records(&mut self) {
        let mut evicted = std::mem::take(&mut self.evicted);
        evicted.clear();
        self.store.expire(self.now.as_millis(), &mut evicted);
        self.report_evictions(&mut evicted);
        self.evicted = evicted;
        self.timers.set(
            Timer::Expiry,
            self.store.next_expiry().map(crate::time::Time::from_millis),
        );
    }

    /// One step of the re-propagation sweep (§8): for each record, push it to those of the
    /// REPLICAS closest reliable active peers that are not known to hold it.
    pub(super) fn republish_batch(&mut self) {
        let mut ids = Vec::new();
        let cursor = self.republish_cursor;
        self.store.ids_after(cursor, REPUBLISH_BATCH, &mut ids);
        let mut chosen = Vec::new();
        for &record in &ids {
            self.repropagate(record, &mut chosen);
        }
        self.republish_cursor = ids.last().copied();
        let next = if ids.len() < REPUBLISH_BATCH {
            self.republish_cursor = None;
            self.now + self.config.republish_every
        } else {
            self.now
        };
        self.timers.set(Timer::Republish, Some(next));
    }

    /// Replaces `out` with the record's REPLICAS closest reliable active peers: the replicas
    /// re-propagation and hand-over push to (§8).
    pub(super) fn replica_peers(&mut self, record: RecordId, out: &mut Vec<u32>) {
        let min = self.config.reliability_min;
        out.clear();
        self.peers.closest(
            record,
            self.config.replicas,
            min,
            |p| p.active && p.reliability.score() >= min,
            out,
        );
    }

    /// Pushes one record to its current closest reliable active peers that lack it. Peers
    /// under RELIABILITY_MIN are skipped, so records move from liars to honest nodes (§9).
    /// `chosen` is room for the replica peers, reused across a batch.
    pub(super) fn repropagate(&mut self, record: RecordId, chosen: &mut Vec<u32>) {
        if !self.store.holds(record) {
            return;
        }
        self.replica_peers(record, chosen);
        for &idx in chosen.iter() {
            let Some(peer) = self.peers.get(idx) else {
                continue;
            };
            let Some(entry) = self.store.get(record) else {
                break;
            };
            if entry.pushed().contains(&peer.id) {
                continue;
            }
            let (addr, id) = (peer.addr(), peer.id);
            let sent = self.outbox.push(addr, &Message::Put(entry.dat().as_ref()));
            debug_assert!(sent.is_ok());
            self.store.mark_pushed(record, id);
        }
    }

    /// Whether stored and evicted records are reported for the backup: not while restoring
    /// from it.
    fn persisting(&self) -> bool {
        self.config.persist_events && !self.restoring
    }

    /// Reloads records from a backup log (§7), re-verifying each against §3 at `now`. Records
    /// that fail are skipped and counted. Restoring emits no Persist events (the records are
    /// already in the log) but does emit evictions it causes.
    pub fn restore(
        &mut self,
        now: crate::time::Time,
        records: impl IntoIterator<Item = Dat>,
    ) -> RestoreReport {
        self.advance_clock(now);
        let mut report = RestoreReport::default();
        self.restoring = true;
        for dat in records {
            if self.check_record(&dat.as_ref()).is_err() {
                report.invalid += 1;
                continue;
            }
            if self.store_record(dat, None) {
                report.loaded += 1;
            } else {
                report.refused += 1;
            }
        }
        self.restoring = false;
        self.refresh_timers();
        report
    }
}
