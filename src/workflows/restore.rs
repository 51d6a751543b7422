//! Restore: fold this process's WAL into the database first so the copy
//! moved aside is whole, then let `backup` verify, move aside, copy and
//! verify again.

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
