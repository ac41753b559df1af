//! The binary's tuning of glibc's allocator, which otherwise keeps memory the
//! server has freed. Elsewhere (musl, other systems) these do nothing.

use std::time::Duration;

/// glibc raises its mmap threshold to the size of each large block freed,
/// so after the first login argon2's 19 MiB blocks come from the threads'
/// arenas and stay there (57 MiB per arena in a 30-minute soak; a 90-second
/// soak ended at 364 MiB resident, and at 78 MiB with the threshold fixed:
/// BENCHMARKS.md, "Soak"). Blocks of 4 MiB and more are then mapped, and
/// unmapped when freed. Call before any other thread starts.
pub fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; no other thread runs yet.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}

/// glibc gives memory back only from the top of each arena; what a burst
/// of award batches or logins freed in between stays resident (a 20-second
/// batch phase at 1,000,000 players ended at 306 MiB, and at 266 MiB with
/// this: BENCHMARKS.md). `malloc_trim` returns those free pages; it took
/// 0.1–0.35 ms a call there.
pub fn return_freed_memory_every(interval: Duration) {
    if !cfg!(all(target_os = "linux", target_env = "gnu")) {
        return;
    }
    let trimmer = std::thread::Builder::new().name("playerbase-trim".into()).spawn(move || {
        loop {
            std::thread::sleep(interval);
            #[cfg(all(target_os = "linux", target_env = "gnu"))]
            // SAFETY: malloc_trim only releases free pages; glibc locks each arena while it does.
            unsafe {
                libc::malloc_trim(0);
            }
        }
    });
    if let Err(err) = trimmer {
        tracing::warn!(error = %err, "could not start the thread that returns freed memory; carrying on without it");
    }
}
