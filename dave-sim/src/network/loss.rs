//! Loss models: independent (Bernoulli) and bursty (Gilbert–Elliott).
//!
//! The Gilbert–Elliott state belongs to the sender's access link and steps once per datagram
//! it sends: a burst hits everything one node sends for a while, as a congested home link
//! does, and no per-pair state is kept. Stationary loss rate:
//! `(p_bg · loss_good + p_gb · loss_bad) / (p_gb + p_bg)`.

use rand::RngExt;
use rand_chacha::ChaCha12Rng;

/// Loss parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LossModel {
    /// Nothing is lost.
    None,
    /// Each datagram lost with this probability.
    Bernoulli(f64),
    /// Two-state bursty loss.
    GilbertElliott {
        /// P(good → bad) per datagram.
        p_gb: f64,
        /// P(bad → good) per datagram.
        p_bg: f64,
        /// Loss probability when good.
        loss_good: f64,
        /// Loss probability when bad.
        loss_bad: f64,
    },
}

/// Per-node Gilbert–Elliott state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LossState {
    bad: bool,
}

impl LossModel {
    /// Steps the state for one datagram and says whether it is lost.
    pub fn lose(&self, state: &mut LossState, rng: &mut ChaCha12Rng) -> bool {
        match *self {
            LossModel::None => false,
            LossModel::Bernoulli(p) => p > 0.0 && rng.random_bool(p),
            LossModel::GilbertElliott {
                p_gb,
                p_bg,
                loss_good,
                loss_bad,
            } => {
                let flip = if state.bad { p_bg } else { p_gb };
                if flip > 0.0 && rng.random_bool(flip) {
                    state.bad = !state.bad;
                }
                let p = if state.bad { loss_bad } else { loss_good };
                p > 0.0 && rng.random_bool(p)
            }
        }
    }

    /// The long-run loss rate the model converges to.
    pub fn mean_loss(&self) -> f64 {
        match *self {
            LossModel::None => 0.0,
            LossModel::Bernoulli(p) => p,
            LossModel::GilbertElliott {
                p_gb,
                p_bg,
                loss_good,
                loss_bad,
            } => {
                if p_gb + p_bg == 0.0 {
                    loss_good
                } else {
                    (p_bg * loss_good + p_gb * loss_bad) / (p_gb + p_bg)
                }
            }
        }
    }
}
