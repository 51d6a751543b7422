//! Restore: `backup::restore` verifies the backup, refuses while another
//! process has the database open, builds the restored database whole
//! beside the live one and swaps it in with one rename (the old one kept
//! aside), then verifies again.

use crate::backup::RestoreInfo;
use crate::clock::Clock;
use crate::error::Failure;
use crate::store::DataDir;
use std::path::Path;

/// Restores `file` for the admin `user` with `pin`; the backup is verified
/// before anything is touched.
pub fn restore(
    data_dir: &DataDir,
    file: &Path,
    user: &str,
    pin: &str,
    clock: &dyn Clock,
) -> Result<RestoreInfo, Failure> {
    Ok(crate::backup::restore(data_dir, file, user, pin, clock)?)
}
