//! Making a written file, and the rename that put it in place, durable —
//! the same way on Linux and on Windows. Two things differ on Windows:
//! `FlushFileBuffers` (what `File::sync_all` calls) refuses a handle opened
//! for reading only ("Access denied (os error 5)", which is how a backup
//! failed there), and a directory cannot be opened as a file to sync its
//! entries (NTFS journals a rename itself). So a file is synced through a
//! handle opened for writing, and a directory only where the platform can.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// A handle on an existing file that `sync_all` accepts on every platform:
/// opened for writing (never created, never truncated).
pub fn open_for_sync(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).open(path)
}

/// Flushes `path`'s data and metadata to the disk; returns its length.
pub fn sync_file(path: &Path) -> io::Result<u64> {
    let f = open_for_sync(path)?;
    f.sync_all()?;
    Ok(f.metadata()?.len())
}

/// Makes a rename or a new file in `dir` durable where the platform allows
/// it (Unix: fsync on the directory). On Windows there is nothing to do:
/// NTFS logs the change to the directory itself, and a directory cannot be
/// flushed as a file. Best effort: a failure here loses nothing already
/// synced.
pub fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Catches a sync through a read-only handle (`File::open`), which Linux
    /// accepts but Windows refuses: the handle must be writable, which
    /// `set_len` to the same length shows without changing the file.
    #[test]
    fn the_sync_handle_is_writable_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("backup.sqlite3.partial");
        std::fs::write(&p, b"twelve bytes").unwrap();
        let f = open_for_sync(&p).unwrap();
        f.set_len(12)
            .expect("a handle FlushFileBuffers accepts is writable");
        assert_eq!(sync_file(&p).unwrap(), 12);
        assert_eq!(std::fs::read(&p).unwrap(), b"twelve bytes");
        // Never creates a file that is not there.
        assert!(sync_file(&dir.path().join("missing")).is_err());
        assert!(!dir.path().join("missing").exists());
        sync_dir(dir.path());
    }
}
