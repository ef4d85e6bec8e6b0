//! The UDP socket, portable through the standard library alone: a receive drains waiting
//! datagrams without blocking and, when none is waiting, blocks with a read timeout until one
//! arrives or the node's next timer is due. One wait thus covers both "a datagram arrived" and
//! "a timer is due", with no `poll(2)` and no platform-specific call.
//!
//! The socket is non-blocking except during an idle wait, so a loaded node, which always finds
//! a datagram waiting, pays no extra system call per datagram, and a send never stalls.
//!
//! With verification workers ([`crate::verify`]) one thread receives while the node's thread
//! sends, and the two cannot share the mode switching above (the non-blocking flag belongs to
//! the socket, not to a thread): [`Socket::split`] makes the socket blocking with a read timeout
//! for the receiving thread and a short write timeout in place of non-blocking sends.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

/// Shortest blocking wait: a shorter one would spin (and zero means "forever" to the OS).
const MIN_WAIT: Duration = Duration::from_millis(1);

/// Longest a send of a split socket may block on a full send buffer before the datagram is
/// dropped, as a non-blocking send would drop it at once. Short, so the node's thread never
/// stalls behind the kernel for longer than a timer's resolution.
const SPLIT_SEND_WAIT: Duration = Duration::from_millis(1);

/// A bound UDP socket.
#[derive(Debug)]
pub struct Socket {
    inner: UdpSocket,
}

/// What one receive attempt gave.
#[derive(Debug)]
pub enum Received {
    /// A datagram of this length from this address.
    Datagram(usize, SocketAddr),
    /// Nothing arrived in time.
    Empty,
}

impl Socket {
    /// Binds `addr`. A port in use or an address not on this host is an error here, at start.
    pub fn bind(addr: SocketAddr) -> io::Result<Self> {
        let inner = UdpSocket::bind(addr)?;
        inner.set_nonblocking(true)?;
        Ok(Socket { inner })
    }

    /// The bound address (with the real port when bound to port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Receives one datagram, waiting up to `wait` (rounded up to 1 ms when not zero) if none
    /// is waiting. A signal interrupting the wait counts as a timeout, so the caller re-checks
    /// its flags.
    pub fn recv_within(&self, buf: &mut [u8], wait: Duration) -> io::Result<Received> {
        if let Received::Datagram(len, from) = self.try_recv(buf)? {
            return Ok(Received::Datagram(len, from));
        }
        if wait.is_zero() {
            return Ok(Received::Empty);
        }
        self.inner.set_nonblocking(false)?;
        self.inner.set_read_timeout(Some(wait.max(MIN_WAIT)))?;
        let got = match self.recv_once(buf) {
            // A timed-out blocking read reports WouldBlock on Unix and TimedOut on Windows.
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Ok(Received::Empty),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(Received::Empty),
            other => other,
        };
        // Back to non-blocking before anything is sent, so a full send buffer drops rather
        // than stalls the node.
        self.inner.set_nonblocking(true)?;
        got
    }

    /// Receives one datagram if one is waiting, without blocking.
    fn try_recv(&self, buf: &mut [u8]) -> io::Result<Received> {
        loop {
            match self.recv_once(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    /// One `recv_from` in the current mode.
    ///
    /// An error about one earlier datagram (Linux reports an ICMP port unreachable as
    /// ECONNREFUSED on the next receive, Windows as WSAECONNRESET) is not a socket failure: it
    /// is skipped.
    fn recv_once(&self, buf: &mut [u8]) -> io::Result<Received> {
        loop {
            match self.inner.recv_from(buf) {
                Ok((len, from)) => return Ok(Received::Datagram(len, from)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Received::Empty),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
                    ) =>
                {
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends one datagram. A full send buffer drops it (UDP gives no delivery promise and the
    /// protocol retries what matters); the result says whether it left.
    pub fn send_to(&self, bytes: &[u8], to: SocketAddr) -> io::Result<bool> {
        send_or_drop(&self.inner, bytes, to)
    }

    /// Splits the socket into a half that sends (the node's thread) and a half that receives
    /// (the intake thread), both on the same bound port. A receive waits at most `recv_wait`, so
    /// the receiving thread notices a stop request that often.
    pub fn split(self, recv_wait: Duration) -> io::Result<(SendHalf, RecvHalf)> {
        self.inner.set_nonblocking(false)?;
        self.inner.set_read_timeout(Some(recv_wait.max(MIN_WAIT)))?;
        self.inner.set_write_timeout(Some(SPLIT_SEND_WAIT))?;
        let receiver = self.inner.try_clone()?;
        Ok((SendHalf { inner: self.inner }, RecvHalf { inner: receiver }))
    }
}

/// One send; a full send buffer (non-blocking: at once; split: after [`SPLIT_SEND_WAIT`])
/// drops the datagram and says so.
fn send_or_drop(socket: &UdpSocket, bytes: &[u8], to: SocketAddr) -> io::Result<bool> {
    match socket.send_to(bytes, to) {
        Ok(_) => Ok(true),
        // A timed-out blocking send reports WouldBlock on Unix and TimedOut on Windows.
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// The sending half of a [`Socket::split`] socket.
#[derive(Debug)]
pub struct SendHalf {
    inner: UdpSocket,
}

impl SendHalf {
    /// As [`Socket::send_to`].
    pub fn send_to(&self, bytes: &[u8], to: SocketAddr) -> io::Result<bool> {
        send_or_drop(&self.inner, bytes, to)
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// The receiving half of a [`Socket::split`] socket.
#[derive(Debug)]
pub struct RecvHalf {
    inner: UdpSocket,
}

impl RecvHalf {
    /// Receives one datagram, waiting at most the split's `recv_wait`. As for
    /// [`Socket::recv_within`], a signal or an error about an earlier datagram (ICMP
    /// unreachable) is not a failure: the first gives [`Received::Empty`], the second is skipped.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Received> {
        loop {
            match self.inner.recv_from(buf) {
                Ok((len, from)) => return Ok(Received::Datagram(len, from)),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) =>
                {
                    return Ok(Received::Empty);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
                    ) => {}
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Socket, UdpSocket) {
        let socket = Socket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        (socket, peer)
    }

    #[test]
    fn waits_until_a_datagram_arrives() {
        let (socket, peer) = pair();
        let to = socket.local_addr().unwrap();
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            peer.send_to(b"hello", to).unwrap();
            peer.local_addr().unwrap()
        });
        let mut buf = [0u8; 64];
        let got = socket
            .recv_within(&mut buf, Duration::from_secs(10))
            .unwrap();
        let from = sender.join().unwrap();
        match got {
            Received::Datagram(len, addr) => {
                assert_eq!(&buf[..len], b"hello");
                assert_eq!(addr, from);
            }
            Received::Empty => panic!("the datagram was not received"),
        }
    }

    #[test]
    fn split_halves_send_and_receive_on_one_port() {
        let (socket, peer) = pair();
        let to = socket.local_addr().unwrap();
        let (tx, rx) = socket.split(Duration::from_millis(20)).unwrap();
        assert_eq!(tx.local_addr().unwrap(), to);
        let mut buf = [0u8; 64];
        assert!(matches!(rx.recv(&mut buf).unwrap(), Received::Empty));
        peer.send_to(b"in", to).unwrap();
        match rx.recv(&mut buf).unwrap() {
            Received::Datagram(len, from) => {
                assert_eq!(&buf[..len], b"in");
                assert_eq!(from, peer.local_addr().unwrap());
            }
            Received::Empty => panic!("the datagram was not received"),
        }
        assert!(tx.send_to(b"out", peer.local_addr().unwrap()).unwrap());
        let (len, from) = peer.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..len], from), (&b"out"[..], to));
    }

    #[test]
    fn times_out_empty_and_drains_without_blocking() {
        let (socket, peer) = pair();
        let mut buf = [0u8; 64];
        let got = socket
            .recv_within(&mut buf, Duration::from_millis(20))
            .unwrap();
        assert!(matches!(got, Received::Empty));
        assert!(matches!(
            socket.try_recv(&mut buf).unwrap(),
            Received::Empty
        ));
        let to = socket.local_addr().unwrap();
        for _ in 0..3 {
            peer.send_to(b"x", to).unwrap();
        }
        let mut n = 0;
        // Loopback delivery is immediate, but allow the kernel a moment.
        while n < 3 {
            match socket
                .recv_within(&mut buf, Duration::from_secs(10))
                .unwrap()
            {
                Received::Datagram(..) => n += 1,
                Received::Empty => panic!("datagram {n} lost on loopback"),
            }
        }
        assert!(matches!(
            socket.try_recv(&mut buf).unwrap(),
            Received::Empty
        ));
    }
}
