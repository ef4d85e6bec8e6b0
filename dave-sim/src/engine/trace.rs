//! The trace hash (docs/simulator.md §"Determinism"): BLAKE3 over every delivered datagram
//! (time, from, to, bytes) and every event, in order.
//!
//! To find *where* two runs diverge without storing every event, the trace also keeps a cheap
//! 64-bit rolling digest and checkpoints it every `stride` records; when the checkpoint list
//! is full it keeps every other one and doubles the stride, so memory stays bounded. Comparing
//! two runs' checkpoints narrows the divergence to one window, and a re-run that captures
//! descriptions of the records in that window names the first differing one.

use std::net::SocketAddr;

/// Checkpoints kept at most (8 MiB of u64s).
const MAX_CHECKPOINTS: usize = 1 << 20;
/// Bytes staged before they are handed to BLAKE3 in one call. Records are small (a datagram
/// header and payload); fed one by one, BLAKE3 compresses a block at a time and copies every
/// piece into its chunk buffer, while a large update hashes many chunks at once with SIMD.
/// The hashed byte stream, and so the hash, is the same either way.
const STAGE_BYTES: usize = 64 * 1024;

/// What a trace record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum TraceKind {
    /// A datagram delivered to a node.
    Datagram = 1,
    /// An event a node emitted.
    NodeEvent = 2,
    /// A driver action (workload, churn, fault, sample).
    Action = 3,
}

/// Records captured for divergence reports: records with index in `from..=to`.
#[derive(Debug, Clone, Default)]
pub struct Capture {
    /// First record index captured.
    pub from: u64,
    /// Last record index captured.
    pub to: u64,
    /// (record index, description).
    pub lines: Vec<(u64, String)>,
}

/// The running trace of one run.
#[derive(Clone)]
pub struct Trace {
    hasher: blake3::Hasher,
    /// Bytes not yet given to `hasher` (see [`STAGE_BYTES`]).
    staged: Vec<u8>,
    rolling: u64,
    records: u64,
    checkpoints: Vec<u64>,
    stride: u64,
    capture: Option<Capture>,
}

impl Default for Trace {
    fn default() -> Self {
        Trace {
            hasher: blake3::Hasher::new_derive_key("dave-sim v1 trace"),
            staged: Vec::with_capacity(STAGE_BYTES),
            rolling: 0,
            records: 0,
            checkpoints: Vec::new(),
            stride: 1,
            capture: None,
        }
    }
}

/// 18-byte address encoding (docs/protocol.md §4): IPv6 or IPv4-mapped, then the port.
pub fn encode_addr(addr: &SocketAddr) -> [u8; 18] {
    let mut out = [0u8; 18];
    let ip = match addr {
        SocketAddr::V4(v4) => v4.ip().to_ipv6_mapped(),
        SocketAddr::V6(v6) => *v6.ip(),
    };
    out[..16].copy_from_slice(&ip.octets());
    out[16..].copy_from_slice(&addr.port().to_le_bytes());
    out
}

fn mix(h: u64, x: u64) -> u64 {
    (h ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29)
}

/// Mixes `bytes` in as little-endian 8-byte words, the last one zero-padded.
fn mix_words(mut h: u64, bytes: &[u8]) -> u64 {
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        h = mix(h, u64::from_le_bytes(word));
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = mix(h, u64::from_le_bytes(word));
    }
    h
}

impl Trace {
    /// A trace that also captures descriptions of records `from..=to`.
    pub fn capturing(from: u64, to: u64) -> Trace {
        Trace {
            capture: Some(Capture {
                from,
                to,
                lines: Vec::new(),
            }),
            ..Trace::default()
        }
    }

    /// Adds one record: kind, time, a small header (addresses, node index) and a payload.
    /// `describe` is called only when this record is being captured.
    pub fn record(
        &mut self,
        kind: TraceKind,
        time: u64,
        header: &[u8],
        payload: &[u8],
        describe: impl FnOnce() -> String,
    ) {
        let mut fixed = [0u8; 13];
        fixed[0] = kind as u8;
        fixed[1..9].copy_from_slice(&time.to_le_bytes());
        fixed[9..].copy_from_slice(&(header.len() as u32).to_le_bytes());
        self.staged.extend_from_slice(&fixed);
        self.staged.extend_from_slice(header);
        self.staged
            .extend_from_slice(&(payload.len() as u32).to_le_bytes());
        self.staged.extend_from_slice(payload);
        if self.staged.len() >= STAGE_BYTES {
            self.hasher.update(&self.staged);
            self.staged.clear();
        }

        let mut h = mix(self.rolling, kind as u64);
        h = mix(h, time);
        h = mix_words(h, header);
        h = mix_words(h, payload);
        h = mix(h, (header.len() as u64) << 32 | payload.len() as u64);
        self.rolling = h;

        let index = self.records;
        self.records += 1;
        if let Some(c) = &mut self.capture
            && (c.from..=c.to).contains(&index)
        {
            c.lines.push((index, describe()));
        }
        if self.records % self.stride == 0 {
            self.checkpoints.push(self.rolling);
            if self.checkpoints.len() >= MAX_CHECKPOINTS {
                let kept: Vec<u64> = self
                    .checkpoints
                    .iter()
                    .skip(1)
                    .step_by(2)
                    .copied()
                    .collect();
                self.checkpoints = kept;
                self.stride *= 2;
            }
        }
    }

    /// The trace hash so far, as hex.
    pub fn hash_hex(&self) -> String {
        let mut hasher = self.hasher.clone();
        hasher.update(&self.staged);
        hasher.finalize().to_hex().to_string()
    }

    /// Checkpoints and their stride: `checkpoints[k]` is the rolling digest after record
    /// `(k + 1) × stride − 1`.
    pub fn checkpoints(&self) -> (&[u64], u64) {
        (&self.checkpoints, self.stride)
    }

    /// The captured descriptions, if capturing.
    pub fn capture(&self) -> Option<&Capture> {
        self.capture.as_ref()
    }
}

/// Narrows where two traces first differ: returns the inclusive range of record indices
/// that contains the first differing record, or `None` if the checkpoints and counts agree.
pub fn divergence_window(a: &Trace, b: &Trace) -> Option<(u64, u64)> {
    let stride = a.stride.max(b.stride);
    let thin = |t: &Trace| -> Vec<u64> {
        let step = (stride / t.stride) as usize;
        t.checkpoints
            .iter()
            .skip(step - 1)
            .step_by(step)
            .copied()
            .collect()
    };
    let (ca, cb) = (thin(a), thin(b));
    let common = ca.len().min(cb.len());
    let first_bad = (0..common).find(|&k| ca[k] != cb[k]);
    let last_record = a.records.max(b.records).saturating_sub(1);
    match first_bad {
        Some(k) => Some((k as u64 * stride, (k as u64 + 1) * stride - 1)),
        None if a.records != b.records || a.rolling != b.rolling => {
            Some((common as u64 * stride, last_record))
        }
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(n: u64, odd_at: Option<u64>, t: &mut Trace) {
        for i in 0..n {
            let payload = if Some(i) == odd_at { [9u8] } else { [1u8] };
            t.record(TraceKind::Action, i, &[], &payload, || {
                format!("record {i}")
            });
        }
    }

    #[test]
    fn finds_the_window_of_the_first_difference_with_bounded_memory() {
        let (mut a, mut b) = (Trace::default(), Trace::default());
        run(3_000_000, None, &mut a);
        run(3_000_000, Some(2_345_678), &mut b);
        assert_ne!(a.hash_hex(), b.hash_hex());
        assert!(a.checkpoints().0.len() < MAX_CHECKPOINTS);
        let (lo, hi) = divergence_window(&a, &b).unwrap();
        assert!((lo..=hi).contains(&2_345_678), "{lo}..={hi}");
        assert!(hi - lo < 8, "window {lo}..={hi} should be a few records");
        let mut c = Trace::default();
        run(3_000_000, None, &mut c);
        assert_eq!(divergence_window(&a, &c), None);
        assert_eq!(a.hash_hex(), c.hash_hex());
    }

    #[test]
    fn staging_leaves_the_hash_of_the_record_stream_unchanged() {
        // The hash is BLAKE3 of kind ‖ time ‖ u32 len ‖ header ‖ u32 len ‖ payload per record,
        // whether the bytes reach BLAKE3 record by record or in staged batches.
        let mut trace = Trace::default();
        let mut direct = blake3::Hasher::new_derive_key("dave-sim v1 trace");
        for i in 0..5_000u64 {
            let header = [i as u8; 36];
            let payload = vec![(i % 251) as u8; (i % 1400) as usize];
            trace.record(TraceKind::Datagram, i * 7, &header, &payload, String::new);
            direct.update(&[TraceKind::Datagram as u8]);
            direct.update(&(i * 7).to_le_bytes());
            direct.update(&36u32.to_le_bytes());
            direct.update(&header);
            direct.update(&(payload.len() as u32).to_le_bytes());
            direct.update(&payload);
            if i % 1000 == 0 {
                assert_eq!(trace.hash_hex(), direct.finalize().to_hex().to_string());
            }
        }
        assert_eq!(trace.hash_hex(), direct.finalize().to_hex().to_string());
    }
}
