//! One run per journal: an exclusive advisory lock, held for the whole run.
//!
//! The lock is an `flock` on a sidecar file, `<journal>.lock`, next to the journal. The
//! operating system releases it when the process ends, however it ends (a crash or `kill -9`
//! included), so a lock can never be left behind by a dead run. The file itself stays; while
//! the lock is held it names the process holding it (pid, host and start time), for the message
//! a second run gives. Readers (`molt status`, `molt verify`) do not take the lock.

use std::{
    fs::{File, OpenOptions, TryLockError},
    io::Write,
    path::{Path, PathBuf},
    time::{SystemTime, UNIX_EPOCH},
};

use serde::{Deserialize, Serialize};

/// Errors of taking the lock.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The lock file could not be opened, locked or written.
    #[error("lock file {}: {source}", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Another process holds the lock.
    #[error(
        "journal {} is in use by another `molt migrate` ({holder}); two runs on one journal would sign conflicting transactions, so this one sent nothing",
        journal.display()
    )]
    Held {
        /// The journal.
        journal: PathBuf,
        /// Who holds it: pid, host and start time, as far as the lock file tells.
        holder: String,
    },
}

/// Who holds the lock, as written into the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Holder {
    pid: u32,
    host: String,
    /// Seconds since the Unix epoch.
    started: u64,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pid {} on host {}, started {}", self.pid, self.host, utc(self.started))
    }
}

/// The exclusive lock on a journal; released when dropped or when the process ends.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    file: File,
}

impl RunLock {
    /// Takes the lock of `journal` (on `<journal>.lock`), or fails at once with
    /// [`LockError::Held`] naming the process that holds it. Never waits.
    pub fn acquire(journal: &Path) -> Result<Self, LockError> {
        let path = lock_path(journal);
        let io = |source| LockError::Io { path: path.clone(), source };
        // Not truncated on open: the holder's details must survive a refused attempt.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Held { journal: journal.into(), holder: holder_of(&path) });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let mut lock = Self { path: path.clone(), file };
        lock.write_holder().map_err(io)?;
        Ok(lock)
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write_holder(&mut self) -> std::io::Result<()> {
        let started = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let holder = Holder { pid: std::process::id(), host: hostname(), started };
        let mut line = serde_json::to_string(&holder).expect("serializes");
        line.push('\n');
        self.file.set_len(0)?;
        self.file.write_all(line.as_bytes())?;
        self.file.sync_data()
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // The file stays (removing it would let two runs lock two different files); only the
        // details of a holder that is gone are cleared. The lock goes with the descriptor.
        let _ = self.file.set_len(0);
    }
}

/// `<journal>.lock`.
pub fn lock_path(journal: &Path) -> PathBuf {
    let mut name = journal.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    journal.with_file_name(name)
}

/// The holder named in the lock file, for a person.
fn holder_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    match serde_json::from_str::<Holder>(text.trim()) {
        Ok(h) => h.to_string(),
        Err(_) => format!("its lock {} does not name it yet", path.display()),
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// `2026-01-01T00:00:00Z` for seconds since the Unix epoch (proleptic Gregorian, UTC).
fn utc(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_holder_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("molt.toml.molt-journal");
        let first = RunLock::acquire(&journal).unwrap();
        assert_eq!(first.path(), dir.path().join("molt.toml.molt-journal.lock"));
        let err = RunLock::acquire(&journal).unwrap_err().to_string();
        let pid = format!("pid {} on host {}", std::process::id(), hostname());
        assert!(err.contains("in use by another `molt migrate`") && err.contains(&pid), "{err}");
        drop(first);
        let again = RunLock::acquire(&journal).expect("released when dropped");
        drop(again);
        assert_eq!(std::fs::read_to_string(lock_path(&journal)).unwrap(), "");
    }

    #[test]
    fn dates_are_utc() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400 + 86_399), "2000-02-29T23:59:59Z");
    }
}
