//! Refuses databases on network filesystems: SQLite's file locks and fsync
//! are not dependable over SMB/NFS, and a receipt must never be lost.
//! Linux asks `statfs` for the filesystem; Windows asks `GetDriveTypeW`
//! whether the drive is a mapped network drive; a UNC path
//! (`\\server\share`, `\\?\UNC\server\share`) is refused everywhere.

use super::StoreError;
use std::path::{Path, PathBuf};

/// UNC paths (`\\server\share`, `//server/share`, `\\?\UNC\server\share`)
/// are network paths whatever the platform; the verbatim and device forms of
/// a local path (`\\?\C:\…`, `\\.\C:\…`) are not.
pub fn is_unc(path: &Path) -> bool {
    let s = path.to_string_lossy().replace('/', "\\");
    if let Some(rest) = s.strip_prefix("\\\\?\\") {
        return rest
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("UNC\\"));
    }
    if s.starts_with("\\\\.\\") {
        return false;
    }
    s.starts_with("\\\\")
}

/// The root (`C:\`) of the drive an absolute Windows path is on — plain or
/// verbatim (`\\?\C:\…`) — as `GetDriveTypeW` wants it; `None` for a UNC,
/// device or relative path.
pub fn drive_root(path: &str) -> Option<String> {
    let s = path
        .strip_prefix("\\\\?\\")
        .or_else(|| path.strip_prefix("//?/"))
        .unwrap_or(path);
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(d), Some(':')) if d.is_ascii_alphabetic() => {
            Some(format!("{}:\\", d.to_ascii_uppercase()))
        }
        _ => None,
    }
}

/// `dir` made absolute against the working directory (which may itself be
/// on a network share), as far as that is known.
fn absolute(dir: &Path) -> PathBuf {
    if dir.is_absolute() {
        return dir.to_path_buf();
    }
    std::env::current_dir()
        .map(|cwd| cwd.join(dir))
        .unwrap_or_else(|_| dir.to_path_buf())
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
    if is_unc(dir) || is_unc(&absolute(dir)) {
        return Err(StoreError::NetworkPath {
            path: dir.to_path_buf(),
            fs: "UNC".into(),
        });
    }
    if let Some(fs) = statfs_network(&absolute(dir)) {
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

/// A mapped network drive (`net use Z: \\\\server\\share`): `GetDriveTypeW`
/// says `DRIVE_REMOTE`.
#[cfg(windows)]
fn statfs_network(dir: &Path) -> Option<&'static str> {
    #[link(name = "kernel32")]
    unsafe extern "system" {
        fn GetDriveTypeW(root_path_name: *const u16) -> u32;
    }
    const DRIVE_REMOTE: u32 = 4;
    let root = drive_root(&dir.to_string_lossy())?;
    let wide: Vec<u16> = root.encode_utf16().chain(std::iter::once(0)).collect();
    // SAFETY: `wide` is a NUL-terminated UTF-16 string that outlives the
    // call; GetDriveTypeW only reads it.
    let kind = unsafe { GetDriveTypeW(wide.as_ptr()) };
    (kind == DRIVE_REMOTE).then_some("network drive")
}

#[cfg(not(any(target_os = "linux", windows)))]
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

    /// Catches a share reported as "not set up" (Store::open checking for
    /// the file first) or setup trying to create a folder on it: both must
    /// name the network path, and nothing is created.
    #[test]
    fn a_share_is_refused_before_anything_else() {
        use crate::store::{DataDir, Store, StoreError};
        for dir in [r"\\server\share\dtb", "//server/share/dtb"] {
            let d = DataDir::new(dir);
            assert!(matches!(
                Store::open(&d),
                Err(StoreError::NetworkPath { .. })
            ));
            assert!(matches!(d.ensure(), Err(StoreError::NetworkPath { .. })));
            assert!(matches!(
                Store::create(&d),
                Err(StoreError::NetworkPath { .. })
            ));
        }
        assert!(!Path::new("//server").exists());
    }

    /// Catches the Windows forms being misread: a `\\?\UNC\` share let
    /// through, or a verbatim local path (`\\?\C:\…`, what
    /// `canonicalize` returns on Windows) refused as if it were a share; and
    /// the drive root `GetDriveTypeW` is asked about.
    #[test]
    fn windows_path_forms() {
        assert!(is_unc(Path::new(r"\\?\UNC\server\share\dtb")));
        assert!(is_unc(Path::new(r"\\?\unc\server\share")));
        assert!(is_unc(Path::new(r"\\医院服务器\共享\收费")));
        assert!(!is_unc(Path::new(r"\\?\C:\Users\张三\AppData")));
        assert!(!is_unc(Path::new(r"\\.\C:\data")));
        assert!(!is_unc(Path::new(r"C:\Users\张三\AppData\Local")));
        assert!(refuse_network_path(Path::new(r"\\?\UNC\server\share")).is_err());
        assert_eq!(drive_root(r"c:\Users\张三"), Some(r"C:\".to_string()));
        assert_eq!(drive_root(r"\\?\D:\dtb"), Some(r"D:\".to_string()));
        assert_eq!(drive_root(r"\\server\share"), None);
        assert_eq!(drive_root(r"\\?\UNC\server\share"), None);
        assert_eq!(drive_root("data"), None);
        assert_eq!(drive_root("/var/lib/dtb"), None);
    }
}
