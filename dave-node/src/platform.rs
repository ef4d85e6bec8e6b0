//! The few things the standard library does not offer on every platform, each with a Unix
//! implementation and a documented fallback elsewhere, so that dave-node builds and runs on
//! Linux, macOS and the BSDs alike (and compiles on Windows).
//!
//! Everything else is portable std: socket waits use read timeouts ([`crate::socket`]), the
//! backup's lock is `File::try_lock` ([`crate::backup::log`]).

use std::fs::{Metadata, OpenOptions};
use std::time::Duration;

/// Makes `options` create files that only their owner may read or write (mode 0600).
///
/// Outside Unix files get the platform's default permissions (on Windows, the ACL inherited
/// from the folder, which is normally owner-only in a user's profile).
pub fn owner_only(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600)
    }
    #[cfg(not(unix))]
    {
        options
    }
}

/// Whether users other than the owner may read or write the file: group or other bits on Unix;
/// never reported elsewhere (there is no portable notion of it).
pub fn readable_by_others(meta: &Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o077 != 0
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}

/// Whether two metadata describe the same file (device and inode on Unix).
///
/// Outside Unix there is no stable file identity in std; the answer is `true`, which only skips
/// the re-check that guards against a compaction replacing the file between open and lock.
pub fn same_file(a: &Metadata, b: &Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        true
    }
}

/// CPU time consumed by the calling thread, split into user and system (kernel) time where the
/// platform tells them apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreadCpu {
    /// User plus system time.
    pub total: Duration,
    /// `(user, system)`: Linux only (`getrusage(RUSAGE_THREAD)`); other Unixes measure the total
    /// with `CLOCK_THREAD_CPUTIME_ID`, which has no split.
    pub split: Option<(Duration, Duration)>,
}

impl ThreadCpu {
    /// The time spent between `start` and `self`.
    pub fn since(self, start: ThreadCpu) -> ThreadCpu {
        ThreadCpu {
            total: self.total.saturating_sub(start.total),
            split: self
                .split
                .zip(start.split)
                .map(|((u1, s1), (u0, s0))| (u1.saturating_sub(u0), s1.saturating_sub(s0))),
        }
    }
}

/// The calling thread's CPU time so far, or `None` where the platform cannot say (Windows: no
/// libc; the benchmark then reports throughput only).
#[cfg(target_os = "linux")]
pub fn thread_cpu() -> Option<ThreadCpu> {
    rusage(libc::RUSAGE_THREAD)
}

/// `getrusage(who)` as user and system time.
#[cfg(unix)]
fn rusage(who: libc::c_int) -> Option<ThreadCpu> {
    // SAFETY: getrusage writes one rusage struct into the zeroed value we own.
    let (rc, usage) = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        let rc = libc::getrusage(who, &mut usage);
        (rc, usage)
    };
    if rc != 0 {
        return None;
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    let (user, system) = (time(usage.ru_utime), time(usage.ru_stime));
    Some(ThreadCpu {
        total: user + system,
        split: Some((user, system)),
    })
}

/// The calling thread's CPU time so far (see the Linux version).
#[cfg(all(unix, not(target_os = "linux")))]
pub fn thread_cpu() -> Option<ThreadCpu> {
    // SAFETY: clock_gettime writes one timespec into the zeroed value we own.
    let (rc, ts) = unsafe {
        let mut ts: libc::timespec = std::mem::zeroed();
        let rc = libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
        (rc, ts)
    };
    if rc != 0 {
        return None;
    }
    let total = Duration::from_secs(ts.tv_sec.max(0) as u64)
        + Duration::from_nanos(ts.tv_nsec.max(0) as u64);
    Some(ThreadCpu { total, split: None })
}

/// The calling thread's CPU time so far (see the Linux version).
#[cfg(not(unix))]
pub fn thread_cpu() -> Option<ThreadCpu> {
    None
}

/// CPU time of the whole process so far, every thread included (`getrusage(RUSAGE_SELF)`,
/// POSIX), or `None` off Unix. `bench` reports it beside the node thread's own time, because
/// with verification workers most of a PUT's cost is on other threads.
#[cfg(unix)]
pub fn process_cpu() -> Option<ThreadCpu> {
    rusage(libc::RUSAGE_SELF)
}

/// CPU time of the whole process (see the Unix version).
#[cfg(not(unix))]
pub fn process_cpu() -> Option<ThreadCpu> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_cpu_grows_with_work() {
        let start = thread_cpu().expect("Unix measures thread CPU time");
        let mut x = 0u64;
        let t = std::time::Instant::now();
        while t.elapsed() < Duration::from_millis(50) {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        let spent = thread_cpu().unwrap().since(start);
        assert!(spent.total > Duration::ZERO, "{spent:?}");
        if let Some((user, system)) = spent.split {
            assert_eq!(user + system, spent.total);
        }
    }

    #[test]
    fn owner_only_files_are_not_readable_by_others() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        owner_only(OpenOptions::new().write(true).create_new(true))
            .open(&path)
            .unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert!(!readable_by_others(&meta));
        assert!(same_file(&meta, &std::fs::metadata(&path).unwrap()));
    }
}
