//! Refuses databases on network filesystems: SQLite's file locks and fsync
//! are not dependable over SMB/NFS, and a receipt must never be lost.

use super::StoreError;
use std::path::Path;

/// UNC paths (`\\server\share`, `//server/share`) are network paths whatever
/// the platform.
pub fn is_unc(path: &Path) -> bool {
    let s = path.to_string_lossy();
    s.starts_with(r"\\") || s.starts_with("//")
}

/// Names the network filesystem for a Linux `statfs` magic number.
pub fn network_fs_name(magic: i64) -> Option<&'static str> {
    match magic {
        0x6969 => Some("nfs"),
        0x517B => Some("smb"),
        0xFF53_4D42 => Some("cifs"),
        0xFE53_4D42 => Some("smb2"),
        0x564C => Some("ncp"),
        0x7375_7245 => Some("coda"),
        0x5346_414F => Some("afs"),
        0x00C3_6400 => Some("ceph"),
        0x0102_1997 => Some("9p"),
        _ => None,
    }
}

pub fn refuse_network_path(dir: &Path) -> Result<(), StoreError> {
    if is_unc(dir) {
        return Err(StoreError::NetworkPath {
            path: dir.to_path_buf(),
            fs: "UNC".into(),
        });
    }
    if let Some(fs) = statfs_network(dir) {
        return Err(StoreError::NetworkPath {
            path: dir.to_path_buf(),
            fs: fs.into(),
        });
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn statfs_network(dir: &Path) -> Option<&'static str> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut buf = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: `c` is a valid NUL-terminated path and `buf` is large enough
    // for the struct statfs fills in; we read it only when the call succeeds.
    let rc = unsafe { libc::statfs(c.as_ptr(), buf.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statfs returned 0, so the struct is initialised.
    let st = unsafe { buf.assume_init() };
    #[allow(clippy::unnecessary_cast)]
    network_fs_name(st.f_type as i64)
}

#[cfg(not(target_os = "linux"))]
fn statfs_network(_dir: &Path) -> Option<&'static str> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unc_and_magic() {
        assert!(is_unc(Path::new(r"\\server\share\db")));
        assert!(is_unc(Path::new("//server/share")));
        assert!(!is_unc(Path::new("/var/lib/db")));
        assert_eq!(network_fs_name(0x6969), Some("nfs"));
        assert_eq!(network_fs_name(0xFF53_4D42), Some("cifs"));
        assert_eq!(network_fs_name(0xEF53), None); // ext4
        assert!(refuse_network_path(Path::new("//server/share")).is_err());
        assert!(refuse_network_path(&std::env::temp_dir()).is_ok());
    }
}
