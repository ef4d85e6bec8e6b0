//! `--pcap FILE`: the virtual traffic as a pcap capture of UDP over IPv4, stamped with virtual
//! time, for Wireshark and tshark (docs/simulator.md "The report").
//!
//! Link type RAW (101: each packet starts with the IP header) is used rather than Ethernet, since
//! the virtual network has no link layer to invent. The UDP checksum is left at zero, which IPv4
//! allows and Wireshark accepts; the IPv4 header checksum is computed so dissectors do not flag it.

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};

use super::ReportError;

/// IPv4 header length (no options).
const IPV4_HEADER: usize = 20;
/// UDP header length.
const UDP_HEADER: usize = 8;
/// Largest UDP payload an IPv4 packet can carry.
const MAX_PAYLOAD: usize = u16::MAX as usize - IPV4_HEADER - UDP_HEADER;
/// Time-to-live written into every packet (a typical Linux default).
const TTL: u8 = 64;

/// Writes delivered datagrams into a pcap file as they happen.
pub struct PcapRecorder {
    path: PathBuf,
    writer: PcapWriter<BufWriter<File>>,
    /// IPv4 identification field, incremented per packet like a real stack would.
    ident: u16,
    /// Reused packet buffer, so recording does not allocate per datagram.
    buf: Vec<u8>,
}

impl PcapRecorder {
    /// Creates (or truncates) `path`, and its folder if missing, and writes the pcap header.
    pub fn create(path: &Path) -> Result<PcapRecorder, ReportError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| ReportError::io(parent, e))?;
        }
        let file = File::create(path).map_err(|e| ReportError::io(path, e))?;
        let header = PcapHeader {
            version_major: 2,
            version_minor: 4,
            ts_correction: 0,
            ts_accuracy: 0,
            snaplen: u32::from(u16::MAX),
            datalink: DataLink::RAW,
            ts_resolution: TsResolution::MicroSecond,
            endianness: Endianness::Little,
        };
        let writer = PcapWriter::with_header(BufWriter::new(file), header)
            .map_err(|e| ReportError::Pcap(format!("{}: {e}", path.display())))?;
        Ok(PcapRecorder {
            path: path.to_owned(),
            writer,
            ident: 0,
            buf: Vec::with_capacity(IPV4_HEADER + UDP_HEADER + 1500),
        })
    }

    /// Appends one datagram sent from `from` to `to` at virtual time `at` (since the run's start).
    ///
    /// The simulated network is IPv4 only (docs/simulator.md "Addresses"); an IPv6 address is an error
    /// rather than a silently dropped packet.
    pub fn record(
        &mut self,
        at: Duration,
        from: SocketAddr,
        to: SocketAddr,
        payload: &[u8],
    ) -> Result<(), ReportError> {
        let (SocketAddr::V4(from), SocketAddr::V4(to)) = (from, to) else {
            return Err(ReportError::Pcap(format!(
                "{from} → {to}: only IPv4 datagrams can be written"
            )));
        };
        if payload.len() > MAX_PAYLOAD {
            return Err(ReportError::Pcap(format!(
                "{from} → {to}: {} bytes do not fit an IPv4 packet",
                payload.len()
            )));
        }
        encode_udp_ipv4(&mut self.buf, self.ident, from, to, payload);
        self.ident = self.ident.wrapping_add(1);
        let len = self.buf.len() as u32;
        self.writer
            .write_packet(&PcapPacket::new(at, len, &self.buf))
            .map_err(|e| ReportError::Pcap(format!("{}: {e}", self.path.display())))?;
        Ok(())
    }

    /// Flushes the file; call once after the run (dropping without it may lose the tail).
    pub fn finish(self) -> Result<(), ReportError> {
        let path = self.path;
        self.writer
            .into_writer()
            .flush()
            .map_err(|e| ReportError::io(&path, e))
    }
}

/// A [`PcapRecorder`] shared between the simulator's delivery hook (a `'static` callback that
/// cannot return errors) and the caller who finishes the file after the run.
///
/// The first write error stops recording and is returned by [`SharedRecorder::finish`], so a
/// full disk is reported instead of leaving a silently truncated capture.
pub struct SharedRecorder(Rc<RefCell<RecorderState>>);

struct RecorderState {
    recorder: Option<PcapRecorder>,
    error: Option<ReportError>,
}

impl SharedRecorder {
    /// Creates the pcap file.
    pub fn create(path: &Path) -> Result<SharedRecorder, ReportError> {
        Ok(SharedRecorder(Rc::new(RefCell::new(RecorderState {
            recorder: Some(PcapRecorder::create(path)?),
            error: None,
        }))))
    }

    /// A callback recording each datagram `(virtual time since start, from, to, payload)`.
    pub fn tap(&self) -> impl FnMut(Duration, SocketAddr, SocketAddr, &[u8]) + 'static {
        let state = Rc::clone(&self.0);
        move |at, from, to, payload| {
            let mut state = state.borrow_mut();
            let RecorderState { recorder, error } = &mut *state;
            let result = match recorder.as_mut() {
                Some(r) => r.record(at, from, to, payload),
                None => return,
            };
            if let Err(e) = result {
                *error = Some(e);
                *recorder = None;
            }
        }
    }

    /// Flushes the file, or returns the first error met while recording.
    pub fn finish(self) -> Result<(), ReportError> {
        let mut state = self.0.borrow_mut();
        if let Some(e) = state.error.take() {
            return Err(e);
        }
        match state.recorder.take() {
            Some(r) => r.finish(),
            None => Ok(()),
        }
    }
}

/// Writes an IPv4 + UDP packet carrying `payload` into `buf` (cleared first).
fn encode_udp_ipv4(
    buf: &mut Vec<u8>,
    ident: u16,
    from: SocketAddrV4,
    to: SocketAddrV4,
    payload: &[u8],
) {
    let total = (IPV4_HEADER + UDP_HEADER + payload.len()) as u16;
    let udp_len = (UDP_HEADER + payload.len()) as u16;
    buf.clear();
    buf.push(0x45); // version 4, header length 5 words
    buf.push(0); // DSCP/ECN
    buf.extend_from_slice(&total.to_be_bytes());
    buf.extend_from_slice(&ident.to_be_bytes());
    buf.extend_from_slice(&[0x40, 0]); // don't fragment, offset 0
    buf.push(TTL);
    buf.push(17); // UDP
    buf.extend_from_slice(&[0, 0]); // checksum, filled below
    buf.extend_from_slice(&from.ip().octets());
    buf.extend_from_slice(&to.ip().octets());
    let checksum = ipv4_checksum(&buf[..IPV4_HEADER]);
    buf[10..12].copy_from_slice(&checksum.to_be_bytes());
    buf.extend_from_slice(&from.port().to_be_bytes());
    buf.extend_from_slice(&to.port().to_be_bytes());
    buf.extend_from_slice(&udp_len.to_be_bytes());
    buf.extend_from_slice(&[0, 0]); // UDP checksum: optional over IPv4
    buf.extend_from_slice(payload);
}

/// RFC 791 header checksum: ones' complement of the ones' complement sum of 16-bit words.
fn ipv4_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_checksum_verifies() {
        let mut buf = Vec::new();
        let a: SocketAddrV4 = "10.0.0.1:4000".parse().unwrap();
        let b: SocketAddrV4 = "10.0.1.2:5000".parse().unwrap();
        encode_udp_ipv4(&mut buf, 7, a, b, b"hello");
        assert_eq!(buf.len(), 33);
        // Summing a header including its checksum gives 0xffff, i.e. the complement is 0.
        assert_eq!(ipv4_checksum(&buf[..IPV4_HEADER]), 0);
        assert_eq!(&buf[20..22], &4000u16.to_be_bytes());
        assert_eq!(&buf[24..26], &13u16.to_be_bytes());
    }
}
