//! The UDP socket: non-blocking, waited on with `poll(2)` so that one wait covers "a datagram
//! arrived" and "the node's next timer is due" without a syscall per timer change.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::Duration;

/// A bound, non-blocking UDP socket.
#[derive(Debug)]
pub struct Socket {
    inner: UdpSocket,
}

/// What one receive attempt gave.
#[derive(Debug)]
pub enum Received {
    /// A datagram of this length from this address.
    Datagram(usize, SocketAddr),
    /// Nothing is waiting.
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

    /// Waits until a datagram is readable or `timeout` passes; returns whether one is readable.
    /// A signal interrupting the wait counts as a timeout, so the caller re-checks its flags.
    pub fn wait_readable(&self, timeout: Duration) -> io::Result<bool> {
        let mut fds = libc::pollfd {
            fd: self.inner.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // Round up so that a wait for 0.3 ms does not spin at 0 ms.
        let millis = timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
        // SAFETY: `fds` is one valid pollfd that lives across the call; nfds is 1.
        let ready = unsafe { libc::poll(&mut fds, 1, millis) };
        if ready < 0 {
            let err = io::Error::last_os_error();
            return if err.kind() == io::ErrorKind::Interrupted {
                Ok(false)
            } else {
                Err(err)
            };
        }
        Ok(ready > 0)
    }

    /// Receives one datagram if one is waiting.
    ///
    /// An error about one earlier datagram (Linux reports an ICMP port unreachable as
    /// ECONNREFUSED on the next receive) is not a socket failure: it is skipped.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<Received> {
        loop {
            match self.inner.recv_from(buf) {
                Ok((len, from)) => return Ok(Received::Datagram(len, from)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Received::Empty),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends one datagram. A full send buffer drops it (UDP gives no delivery promise and the
    /// protocol retries what matters); the result says whether it left.
    pub fn send_to(&self, bytes: &[u8], to: SocketAddr) -> io::Result<bool> {
        match self.inner.send_to(bytes, to) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(e) => Err(e),
        }
    }
}
