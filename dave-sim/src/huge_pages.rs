//! Transparent huge pages for the simulator's heap (glibc on Linux).
//!
//! A run of thousands of nodes touches their state at random: each datagram wakes a node whose
//! few kilobytes left the cache, and with 4 KiB pages nearly every such line also misses the
//! TLB (10,000 nodes hold 330 MB, 80,000 pages; the TLB holds about 2,000). glibc backs its heap
//! with 2 MiB pages when the tunable `glibc.malloc.hugetlb=1` is set, and the kernels this
//! runs on default to huge pages only where a program asks (`madvise` mode). Tunables are read
//! once, when the process starts, so `dave-sim` starts itself again with the tunable set.
//!
//! Measured (issue 11, seventh pass; `dave-sim bench --scenario scenarios/scale-10k.json`, the
//! same binary with and without the tunable, side by side, one per core): 5,000 nodes 205k →
//! 237k and 239k → 270k datagrams per CPU second, 10,000 nodes 185k → 215k (+13–17 %); peak
//! memory 32.2 → 32.7 KiB a node. Results are unchanged: the allocator's addresses reach no
//! output.
//!
//! An explicit `GLIBC_TUNABLES` (even empty) is left alone: that is how to run without.

/// The glibc tunable that backs malloc's heap with transparent huge pages (glibc 2.35 and
/// later; older versions ignore it).
pub const TUNABLE: &str = "glibc.malloc.hugetlb=1";

/// Whether this process runs with glibc's heap on huge pages requested (the tunable is set).
pub fn requested() -> bool {
    std::env::var_os("GLIBC_TUNABLES").is_some_and(|t| {
        t.to_string_lossy()
            .split(':')
            .any(|tunable| tunable == TUNABLE)
    })
}

/// What `bench` prints about the heap, so that figures are compared like with like.
pub fn heap_line() -> String {
    if requested() {
        format!("heap: transparent huge pages requested ({TUNABLE})")
    } else {
        "heap: ordinary pages (no glibc.malloc.hugetlb=1 in GLIBC_TUNABLES)".to_string()
    }
}

/// Replaces this process with itself, same arguments, with [`TUNABLE`] set, unless
/// `GLIBC_TUNABLES` is already set or this is not Linux with glibc. Returns only if it did not
/// (or could not) start itself again, and the run then goes on with ordinary pages.
pub fn restart_with_huge_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        if std::env::var_os("GLIBC_TUNABLES").is_some() {
            return;
        }
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let mut args = std::env::args_os();
        let arg0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
        // `exec` returns only on failure; the error is not worth a word to the user, who
        // gets the same run on ordinary pages.
        let _ = std::process::Command::new(&exe)
            .arg0(arg0)
            .args(args)
            .env("GLIBC_TUNABLES", TUNABLE)
            .exec();
    }
}
