//! Workload driver: writers PUT records and readers GET them, each at exponential intervals
//! from its own stream; after each write a replica check counts where the record landed.
//!
//! Writers and readers are placed on non-seed nodes first, each group in a random order, so
//! seed nodes write only when the scenario asks for more writers than there are other nodes.

use rand::RngExt;
use rand_chacha::ChaCha12Rng;
use rand_distr::{Distribution, Exp, Zipf};

use super::host::{ScenarioHost, WriteRequest};
use super::{Action, Stage};
use crate::engine::SimTime;
use crate::metrics::collector::PROPAGATION_WINDOW_US;
use crate::scenario::{Popularity, WorkloadSpec};

/// A workload action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Writer number writes.
    Write(u32),
    /// Reader number reads.
    Read(u32),
    /// Count replicas of a record.
    CheckRecord(u64),
}

/// A record written so far, for readers to pick from.
struct CatalogEntry {
    record: u64,
    pubkey: [u8; 32],
    key: Vec<u8>,
    written: u64,
}

/// Writers, readers and the catalog of written records.
#[derive(Default)]
pub struct Workload {
    /// Per writer slot: node, stream, records written.
    writers: Vec<(u32, ChaCha12Rng, u64)>,
    /// Per reader slot: node, stream.
    readers: Vec<(u32, ChaCha12Rng)>,
    catalog: Vec<CatalogEntry>,
    /// Writes the writer's node could not start (down, or record refused).
    pub skipped: u64,
}

impl Workload {
    /// Places writers and readers and schedules their first operations (nothing if the
    /// scenario has no workload or the host type cannot read and write).
    pub fn schedule<H: ScenarioHost>(&mut self, stage: &mut Stage<'_, H>) {
        let Some(w) = &stage.scenario.workload else {
            return;
        };
        if !H::SUPPORTS_WORKLOAD {
            return;
        }
        let n = stage.honest_count();
        let seeds = stage.scenario.edges.seeds.min(n);
        let order = |purpose: &str| {
            let mut r = stage.stream(purpose, 0);
            let mut v: Vec<u32> = (seeds..n).collect();
            let mut tail: Vec<u32> = (0..seeds).collect();
            for list in [&mut v, &mut tail] {
                for k in (1..list.len()).rev() {
                    let j = r.random_range(0..=k);
                    list.swap(k, j);
                }
            }
            v.extend(tail);
            v
        };
        let writers = order("writers");
        let readers = order("readers");
        for (slot, node) in writers.into_iter().take(w.writers as usize).enumerate() {
            let mut r = stage.stream("writer", slot as u64);
            let first = w.start.0 + exp_interval(w.put_every.0, &mut r);
            self.writers.push((node, r, 0));
            stage
                .engine
                .schedule(SimTime(first), Action::Workload(Act::Write(slot as u32)));
        }
        for (slot, node) in readers.into_iter().take(w.readers as usize).enumerate() {
            let mut r = stage.stream("reader", slot as u64);
            let first = w.start.0 + exp_interval(w.get_every.0, &mut r);
            self.readers.push((node, r));
            stage
                .engine
                .schedule(SimTime(first), Action::Workload(Act::Read(slot as u32)));
        }
    }

    /// Makes `nodes` read too, from `from` on, each at the workload's `get_every` with a
    /// stream of its own (`victim-reader`), so the scenario's readers draw what they drew
    /// before: eclipse victims read so that `victim_get_success_rate` measures their lookups.
    pub fn add_readers<H: ScenarioHost>(
        &mut self,
        stage: &mut Stage<'_, H>,
        nodes: &[u32],
        from: SimTime,
    ) {
        let Some(w) = &stage.scenario.workload else {
            return;
        };
        if !H::SUPPORTS_WORKLOAD {
            return;
        }
        for (k, &node) in nodes.iter().enumerate() {
            let mut r = stage.stream("victim-reader", k as u64);
            let first = w.start.0.max(from.0) + exp_interval(w.get_every.0, &mut r);
            let slot = self.readers.len() as u32;
            self.readers.push((node, r));
            stage
                .engine
                .schedule(SimTime(first), Action::Workload(Act::Read(slot)));
        }
    }

    /// Performs one action; returns its trace text.
    pub fn handle<H: ScenarioHost>(
        &mut self,
        stage: &mut Stage<'_, H>,
        t: SimTime,
        act: Act,
    ) -> String {
        match act {
            Act::Write(slot) => self.write(stage, t, slot),
            Act::Read(slot) => self.read(stage, t, slot),
            Act::CheckRecord(record) => {
                let engine = &stage.engine;
                stage.collector.check_replicas(record, |n| engine.is_up(n));
                String::new()
            }
        }
    }

    fn write<H: ScenarioHost>(
        &mut self,
        stage: &mut Stage<'_, H>,
        t: SimTime,
        slot: u32,
    ) -> String {
        let Some(w) = &stage.scenario.workload else {
            return String::new();
        };
        let (node, rng, seq) = &mut self.writers[slot as usize];
        let (node, seq_now) = (*node, *seq);
        *seq += 1;
        let next = t.0 + exp_interval(w.put_every.0, rng);
        let key = draw_key(w, slot, seq_now, rng);
        let mut value = vec![0u8; w.value_bytes as usize];
        value.iter_mut().for_each(|b| *b = rng.random());
        let mut salt_start = [0u8; 16];
        salt_start.iter_mut().for_each(|b| *b = rng.random());
        if next + w.quiet_tail.0 < stage.end {
            stage
                .engine
                .schedule(SimTime(next), Action::Workload(Act::Write(slot)));
        }
        let request = WriteRequest {
            signing_seed: stage.seed_bytes("writer-key", u64::from(slot)),
            key: &key,
            value: &value,
            work_bits: w.work_bits,
            salt_start,
        };
        let Some(Some(ticket)) = stage
            .engine
            .with_host(node, |h, now| h.write(now, &request))
        else {
            self.skipped += 1;
            return format!("write skipped by node {node}");
        };
        stage.collector.record_written(t, node, ticket.record);
        stage
            .collector
            .lookup_started(t, node, ticket.lookup, "put", ticket.record);
        self.catalog.push(CatalogEntry {
            record: ticket.record,
            pubkey: ticket.pubkey,
            key,
            written: t.0,
        });
        if t.0 + PROPAGATION_WINDOW_US <= stage.end {
            stage.engine.schedule(
                SimTime(t.0 + PROPAGATION_WINDOW_US),
                Action::Workload(Act::CheckRecord(ticket.record)),
            );
        }
        format!("write {:016x} by node {node}", ticket.record)
    }

    fn read<H: ScenarioHost>(&mut self, stage: &mut Stage<'_, H>, t: SimTime, slot: u32) -> String {
        let Some(w) = &stage.scenario.workload else {
            return String::new();
        };
        let (node, rng) = &mut self.readers[slot as usize];
        let node = *node;
        let next = t.0 + exp_interval(w.get_every.0, rng);
        if next + w.quiet_tail.0 < stage.end {
            stage
                .engine
                .schedule(SimTime(next), Action::Workload(Act::Read(slot)));
        }
        let Some(index) = pick(&self.catalog, w, t, rng) else {
            return String::new();
        };
        let entry = &self.catalog[index];
        let (record, pubkey, key) = (entry.record, entry.pubkey, entry.key.clone());
        let Some(Some(lookup)) = stage
            .engine
            .with_host(node, |h, now| h.read(now, &pubkey, &key))
        else {
            return String::new();
        };
        stage
            .collector
            .lookup_started(t, node, lookup, "get", record);
        format!("read {record:016x} by node {node}")
    }
}

/// The catalog entry a reader asks for at `t`, among those written at least `read_after` ago
/// (rank 1 of a Zipf popularity is the newest of them); `None` while none is readable.
fn pick(
    catalog: &[CatalogEntry],
    w: &WorkloadSpec,
    t: SimTime,
    rng: &mut ChaCha12Rng,
) -> Option<usize> {
    let readable = catalog.partition_point(|e| e.written + w.read_after.0 <= t.0);
    if readable == 0 {
        return None;
    }
    Some(match &w.popularity {
        Popularity::Uniform => rng.random_range(0..readable),
        Popularity::Zipf(s) => match Zipf::new(readable as f64, s.0) {
            Ok(z) => readable - (z.sample(rng) as usize).clamp(1, readable),
            Err(_) => rng.random_range(0..readable),
        },
    })
}

/// A record key: the writer slot and sequence number, then random bytes from the writer's
/// stream up to `key_bytes`.
fn draw_key(w: &WorkloadSpec, slot: u32, seq: u64, rng: &mut ChaCha12Rng) -> Vec<u8> {
    let mut key = vec![0u8; w.key_bytes as usize];
    let mut tag = [0u8; 8];
    tag[..4].copy_from_slice(&slot.to_le_bytes());
    tag[4..].copy_from_slice(&(seq as u32).to_le_bytes());
    for (i, b) in key.iter_mut().enumerate() {
        *b = if i < 8 { tag[i] } else { rng.random() };
    }
    key
}

/// The RecordId of the first record writer `slot` will write in a run with root `seed`:
/// the writer's key and stream are functions of the seed, so an attacker that knows them (as
/// one that knows a victim's well-known key names does) can aim at the record before it
/// exists. Replays the stream's draws up to the key (first interval, next interval, key).
pub fn first_record(seed: u64, w: &WorkloadSpec, slot: u32) -> dave_core::id::RecordId {
    let mut r = crate::engine::rng::stream(seed, "writer", u64::from(slot));
    exp_interval(w.put_every.0, &mut r);
    exp_interval(w.put_every.0, &mut r);
    let key = draw_key(w, slot, 0, &mut r);
    let writer = crate::engine::rng::seed_bytes(seed, "writer-key", u64::from(slot));
    let pubkey = ed25519_dalek::SigningKey::from_bytes(&writer)
        .verifying_key()
        .to_bytes();
    dave_core::id::RecordId::of(&pubkey, &key)
}

/// An exponential interval with the given mean, µs (at least 1).
fn exp_interval(mean_us: u64, r: &mut ChaCha12Rng) -> u64 {
    let x = Exp::new(1.0 / (mean_us.max(1) as f64))
        .map(|d| d.sample(r))
        .unwrap_or(mean_us as f64);
    (x.max(1.0) as u64).min(u64::MAX / 4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::host::EchoHost;
    use crate::engine::rng::stream;
    use crate::sim::Roster;
    use crate::sim::dave_host::DaveHost;
    use crate::sim::population::Population;
    use crate::sim::testing::{drain, scenario, stage};

    const WORK: &str = r#"{
      "name": "w", "duration": "60s",
      "network": { "latency": { "constant": "10ms" } },
      "nodes": { "count": 8, "config": { "min_work": 2 } },
      "edges": { "count": 2, "seeds": 3 },
      "workload": { "writers": 7, "put_every": "5s", "readers": 2, "get_every": "2s",
                    "work_bits": 2, "start": "5s", "read_after": "1s", "quiet_tail": "10s" }
    }"#;

    #[test]
    fn writers_fill_non_seed_nodes_first_and_stop_before_the_quiet_tail() {
        let s = scenario(WORK);
        let mut st = stage::<DaveHost>(&s);
        let mut p = Population::<DaveHost>::new(&s, s.seed, &Roster::honest(&s, s.seed).addrs);
        let mut w = Workload::default();
        p.schedule(&mut st);
        w.schedule(&mut st);
        let nodes: Vec<u32> = w.writers.iter().map(|(n, _, _)| *n).collect();
        assert!(
            nodes[..5].iter().all(|&n| n >= 3),
            "non-seed nodes first: {nodes:?}"
        );
        assert!(nodes[5..].iter().all(|&n| n < 3), "then seeds: {nodes:?}");
        let (mut writes, mut reads, mut last_write) = (0, 0, 0);
        drain(&mut st, 60_000_000, |st, t, a| match a {
            Action::Population(act) => {
                p.handle(st, t, act);
            }
            Action::Workload(act) => {
                let text = w.handle(st, t, act);
                match act {
                    Act::Write(_) => {
                        assert!(text.starts_with("write "), "{text}");
                        writes += 1;
                        last_write = t.0;
                    }
                    Act::Read(_) if !text.is_empty() => reads += 1,
                    _ => {}
                }
            }
            _ => {}
        });
        assert_eq!(w.skipped, 0);
        assert_eq!(w.catalog.len(), writes);
        assert!(writes >= 20, "writes: {writes}");
        assert!(reads >= 10, "reads: {reads}");
        assert!(
            last_write < 50_000_000,
            "no write starts in the quiet tail: {last_write}"
        );
    }

    #[test]
    fn first_records_are_predicted_from_the_seed() {
        let s = scenario(WORK);
        let w = s.workload.as_ref().expect("workload");
        let mut st = stage::<DaveHost>(&s);
        let mut p = Population::<DaveHost>::new(&s, s.seed, &Roster::honest(&s, s.seed).addrs);
        let mut wl = Workload::default();
        p.schedule(&mut st);
        wl.schedule(&mut st);
        drain(&mut st, 20_000_000, |st, t, a| match a {
            Action::Population(act) => {
                p.handle(st, t, act);
            }
            Action::Workload(act) => {
                wl.handle(st, t, act);
            }
            _ => {}
        });
        let mut checked = 0;
        for slot in 0..w.writers {
            let tag = slot.to_le_bytes();
            if let Some(e) = wl
                .catalog
                .iter()
                .find(|e| e.key[..4] == tag && e.key[4..8] == [0; 4])
            {
                assert_eq!(first_record(s.seed, w, slot).0, e.record, "slot {slot}");
                checked += 1;
            }
        }
        assert!(checked >= 5, "{checked} first writes seen");
    }

    #[test]
    fn a_host_without_workload_support_gets_no_operations() {
        let s = scenario(WORK);
        let mut st = stage::<EchoHost>(&s);
        let mut w = Workload::default();
        w.schedule(&mut st);
        assert!(w.writers.is_empty() && w.readers.is_empty());
        assert!(st.engine.next_action(SimTime(u64::MAX)).is_none());
    }

    #[test]
    fn readers_only_pick_records_old_enough_and_zipf_favours_the_newest() {
        let entry = |written| CatalogEntry {
            record: written,
            pubkey: [0; 32],
            key: Vec::new(),
            written,
        };
        let catalog: Vec<CatalogEntry> = (0..100).map(|i| entry(i * 1_000_000)).collect();
        let mut spec = scenario(WORK).workload.unwrap();
        let mut r = stream(1, "test", 0);
        assert_eq!(pick(&catalog[..0], &spec, SimTime(5_000_000), &mut r), None);
        assert_eq!(
            pick(&catalog, &spec, SimTime(500_000), &mut r),
            None,
            "none 1 s old yet"
        );
        for _ in 0..100 {
            let i = pick(&catalog, &spec, SimTime(10_000_000), &mut r).unwrap();
            assert!(i < 10, "written at or before 9 s: {i}");
        }
        spec.popularity = Popularity::Zipf(crate::scenario::Positive(1.5));
        let newest = (0..1000)
            .filter(|_| pick(&catalog, &spec, SimTime(200_000_000), &mut r) == Some(99))
            .count();
        assert!(
            newest > 300,
            "rank 1 is the newest record: {newest} of 1000"
        );
    }
}
