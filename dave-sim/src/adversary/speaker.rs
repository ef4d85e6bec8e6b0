//! What every attacker behaviour needs to speak Dave through dave-core's codec: a real
//! identity (Ed25519 key pair, signatures through the run's crypto provider), its own random
//! stream, a queue of encoded datagrams and the counters of what it sent.
//!
//! An attacker pads its AUTH PINGs as an honest node does towards an unverified address
//! (§8): an unpadded one earns too small an anti-amplification allowance for the AUTH PONG
//! the attacker wants back, and the handshake would never complete.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;

use dave_core::crypto::Crypto;
use dave_core::wire::{
    AddrList, GetAck, Limits, MAX_DATAGRAM, Message, PADDED_PING_LEN, PingKind, Pong, PongAuth,
    pong_digest,
};
use ed25519_dalek::SigningKey;
use rand::RngExt;
use rand_chacha::ChaCha12Rng;
use rand_core::SeedableRng;

use super::{AttackCounters, AttackerContext};
use crate::crypto_model::SimCrypto;
use crate::engine::host::HostTransmit;

/// An attacker's voice: identity, randomness, outgoing datagrams and counters.
pub struct Speaker {
    key: SigningKey,
    public_key: [u8; 32],
    crypto: Arc<SimCrypto>,
    /// The attacker's random stream.
    pub rng: ChaCha12Rng,
    /// Decoder limits of the honest nodes (an attacker accepts what they send).
    pub limits: Limits,
    out: VecDeque<(SocketAddr, Vec<u8>)>,
    /// What was sent.
    pub counters: AttackCounters,
}

impl Speaker {
    /// The speaker of the host `ctx` describes.
    pub fn new(ctx: &AttackerContext<'_>) -> Speaker {
        let key = SigningKey::from_bytes(&ctx.key_seed);
        Speaker {
            public_key: key.verifying_key().to_bytes(),
            key,
            crypto: ctx.crypto.clone(),
            rng: ChaCha12Rng::from_seed(ctx.rng_seed),
            limits: Limits {
                npeer_limit: ctx.config.npeer_limit,
                referrals: ctx.config.referrals,
            },
            out: VecDeque::new(),
            counters: AttackCounters::default(),
        }
    }

    /// Its public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.public_key
    }

    /// Queues a message to `to`. Encoding fails only for a message built wrongly (too many
    /// addresses); such a message is dropped rather than sent malformed.
    pub fn send(&mut self, to: SocketAddr, msg: &Message<'_>) {
        let mut buf = [0u8; MAX_DATAGRAM];
        if let Ok(len) = msg.encode(&mut buf) {
            self.out.push_back((to, buf[..len].to_vec()));
        }
    }

    /// A padded AUTH PING with a fresh nonce (the answer is not checked: the attacker wants
    /// the target to ping it back, not a proof of the target's identity).
    pub fn auth_ping(&mut self, to: SocketAddr) {
        let nonce: [u8; 32] = self.rng.random();
        self.send(
            to,
            &Message::Ping {
                kind: PingKind::Auth,
                nonce,
                read_only: false,
                pad_to: PADDED_PING_LEN,
            },
        );
    }

    /// Answers a PING: LIVE with the echo, AUTH with a signed PONG sharing `addrs`.
    pub fn pong(&mut self, to: SocketAddr, kind: PingKind, nonce: [u8; 32], addrs: &[SocketAddr]) {
        let auth = match kind {
            PingKind::Live => None,
            PingKind::Auth => {
                let salt: [u8; 16] = self.rng.random();
                let list = AddrList::Addrs(addrs);
                let sig = self
                    .crypto
                    .sign(&self.key, &pong_digest(&nonce, &salt, &list));
                Some(PongAuth {
                    salt,
                    pubkey: self.public_key,
                    sig,
                    addrs: list,
                })
            }
        };
        self.send(to, &Message::Pong(Pong { kind, nonce, auth }));
    }

    /// Answers a GET with not-found and `referrals`.
    pub fn refer(
        &mut self,
        to: SocketAddr,
        pubkey: [u8; 32],
        key: &[u8],
        referrals: &[SocketAddr],
    ) {
        self.send(
            to,
            &Message::GetAck(GetAck::NotFound {
                pubkey,
                key,
                referrals: AddrList::Addrs(referrals),
            }),
        );
    }

    /// Up to `n` distinct addresses of `pool` other than `except`, drawn at random.
    pub fn pick(&mut self, pool: &[SocketAddr], n: usize, except: SocketAddr) -> Vec<SocketAddr> {
        let mut picked: Vec<SocketAddr> = Vec::with_capacity(n);
        let available = pool.iter().filter(|a| **a != except).count();
        let want = n.min(available);
        while picked.len() < want {
            let a = pool[self.rng.random_range(0..pool.len())];
            if a != except && !picked.contains(&a) {
                picked.push(a);
            }
        }
        picked
    }

    /// The next queued datagram, copied into `buf` and counted.
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<HostTransmit> {
        let (to, bytes) = self.out.pop_front()?;
        let len = bytes.len().min(buf.len());
        buf[..len].copy_from_slice(&bytes[..len]);
        self.counters.count_sent(len, false);
        Some(HostTransmit {
            to,
            len,
            spoofed_source: None,
        })
    }
}
