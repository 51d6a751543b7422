//! A test-only SQLite VFS that simulates a power cut, after SQLite's own
//! `test_crash`/`test_syncio` idea: it wraps the default `unix` VFS, lets
//! every write reach the file (so reads see it, as they would from the page
//! cache) but remembers, per file, every write and truncation made since
//! that file's last successful `xSync` (with the bytes it replaced). At an
//! armed moment — after N more writes/syncs under a directory — the "power
//! goes": every further write, sync, truncate and delete there fails. Once
//! the program has let go of its connections, [`power_cut`] rolls each
//! file back to its last synced state (optionally keeping a random subset
//! of the unsynced writes, as a disk cache may have flushed some of them),
//! which is what a disk holds after the power came back.
//!
//! SIGKILL keeps the page cache, so only this kind of test tells whether a
//! commit was really made durable (`synchronous=FULL`) before the program
//! reported it. Installed as the process's default VFS, so the library
//! opens its store through its normal path; no hook in the program.
//!
//! Not modelled: a file's creation or deletion being lost (directory
//! entries), torn writes inside one `xWrite` call.

use rusqlite::ffi;
use std::collections::HashMap;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Mutex, OnceLock};

/// One change made since the file's last sync, with what it replaced.
enum Op {
    Write {
        off: u64,
        old: Vec<u8>,
        old_size: u64,
        new: Vec<u8>,
    },
    Truncate {
        old_size: u64,
        tail: Vec<u8>,
        new_size: u64,
    },
}

struct Arm {
    root: String,
    left: u64,
    dead: bool,
}

#[derive(Default)]
struct State {
    unsynced: HashMap<String, Vec<Op>>,
    syncs: HashMap<String, u64>,
    /// Writes, syncs, truncations and deletions per file.
    ops: HashMap<String, u64>,
    arms: Vec<Arm>,
}

fn state() -> std::sync::MutexGuard<'static, State> {
    static S: OnceLock<Mutex<State>> = OnceLock::new();
    S.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

impl State {
    /// Counts one I/O step under an armed root; false once the power is out.
    fn step(&mut self, path: &str) -> bool {
        *self.ops.entry(path.to_string()).or_default() += 1;
        for a in &mut self.arms {
            if path.starts_with(&a.root) {
                if a.dead {
                    return false;
                }
                a.left = a.left.saturating_sub(1);
                if a.left == 0 {
                    a.dead = true;
                    return false;
                }
            }
        }
        true
    }
}

static REAL: AtomicPtr<ffi::sqlite3_vfs> = AtomicPtr::new(std::ptr::null_mut());

fn real_vfs() -> *mut ffi::sqlite3_vfs {
    REAL.load(Ordering::Acquire)
}

#[repr(C)]
struct File {
    base: ffi::sqlite3_file,
    /// The file's full path (owned), null for unnamed temporary files.
    path: *mut String,
}

unsafe fn real(f: *mut ffi::sqlite3_file) -> *mut ffi::sqlite3_file {
    unsafe { (f as *mut u8).add(std::mem::size_of::<File>()) as *mut ffi::sqlite3_file }
}

unsafe fn methods(f: *mut ffi::sqlite3_file) -> &'static ffi::sqlite3_io_methods {
    unsafe { &*(*real(f)).pMethods }
}

unsafe fn path_of(f: *mut ffi::sqlite3_file) -> Option<&'static String> {
    unsafe {
        let p = (*(f as *mut File)).path;
        (!p.is_null()).then(|| &*p)
    }
}

unsafe fn size_of_real(f: *mut ffi::sqlite3_file) -> u64 {
    let mut size: ffi::sqlite3_int64 = 0;
    unsafe { (methods(f).xFileSize.unwrap())(real(f), &mut size) };
    size.max(0) as u64
}

unsafe fn read_real(f: *mut ffi::sqlite3_file, off: u64, len: u64) -> Vec<u8> {
    let mut buf = vec![0u8; len as usize];
    if len > 0 {
        unsafe {
            (methods(f).xRead.unwrap())(
                real(f),
                buf.as_mut_ptr() as *mut c_void,
                len as c_int,
                off as ffi::sqlite3_int64,
            )
        };
    }
    buf
}

unsafe extern "C" fn x_close(f: *mut ffi::sqlite3_file) -> c_int {
    unsafe {
        let rc = (methods(f).xClose.unwrap())(real(f));
        let p = (*(f as *mut File)).path;
        if !p.is_null() {
            drop(Box::from_raw(p));
            (*(f as *mut File)).path = std::ptr::null_mut();
        }
        rc
    }
}

unsafe extern "C" fn x_read(
    f: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    amt: c_int,
    off: ffi::sqlite3_int64,
) -> c_int {
    unsafe { (methods(f).xRead.unwrap())(real(f), buf, amt, off) }
}

unsafe extern "C" fn x_write(
    f: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amt: c_int,
    off: ffi::sqlite3_int64,
) -> c_int {
    unsafe {
        let Some(path) = path_of(f) else {
            return (methods(f).xWrite.unwrap())(real(f), buf, amt, off);
        };
        let mut st = state();
        if !st.step(path) {
            return ffi::SQLITE_IOERR_WRITE;
        }
        let off_u = off as u64;
        let old_size = size_of_real(f);
        let old_len = old_size.saturating_sub(off_u).min(amt as u64);
        let old = read_real(f, off_u, old_len);
        let rc = (methods(f).xWrite.unwrap())(real(f), buf, amt, off);
        if rc == ffi::SQLITE_OK {
            let new = std::slice::from_raw_parts(buf as *const u8, amt as usize).to_vec();
            st.unsynced
                .entry(path.clone())
                .or_default()
                .push(Op::Write {
                    off: off_u,
                    old,
                    old_size,
                    new,
                });
        }
        rc
    }
}

unsafe extern "C" fn x_truncate(f: *mut ffi::sqlite3_file, size: ffi::sqlite3_int64) -> c_int {
    unsafe {
        let Some(path) = path_of(f) else {
            return (methods(f).xTruncate.unwrap())(real(f), size);
        };
        let mut st = state();
        if !st.step(path) {
            return ffi::SQLITE_IOERR_TRUNCATE;
        }
        let old_size = size_of_real(f);
        let new_size = size.max(0) as u64;
        let tail = read_real(f, new_size, old_size.saturating_sub(new_size));
        let rc = (methods(f).xTruncate.unwrap())(real(f), size);
        if rc == ffi::SQLITE_OK {
            st.unsynced
                .entry(path.clone())
                .or_default()
                .push(Op::Truncate {
                    old_size,
                    tail,
                    new_size,
                });
        }
        rc
    }
}

unsafe extern "C" fn x_sync(f: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    unsafe {
        let Some(path) = path_of(f) else {
            return (methods(f).xSync.unwrap())(real(f), flags);
        };
        let mut st = state();
        if !st.step(path) {
            return ffi::SQLITE_IOERR_FSYNC;
        }
        let rc = (methods(f).xSync.unwrap())(real(f), flags);
        if rc == ffi::SQLITE_OK {
            st.unsynced.remove(path);
            *st.syncs.entry(path.clone()).or_default() += 1;
        }
        rc
    }
}

macro_rules! forward {
    ($name:ident, $field:ident, ($($arg:ident : $ty:ty),*) -> $ret:ty) => {
        unsafe extern "C" fn $name(f: *mut ffi::sqlite3_file $(, $arg: $ty)*) -> $ret {
            unsafe { (methods(f).$field.unwrap())(real(f) $(, $arg)*) }
        }
    };
}

forward!(x_file_size, xFileSize, (p: *mut ffi::sqlite3_int64) -> c_int);
forward!(x_lock, xLock, (l: c_int) -> c_int);
forward!(x_unlock, xUnlock, (l: c_int) -> c_int);
forward!(x_check_reserved, xCheckReservedLock, (p: *mut c_int) -> c_int);
forward!(x_file_control, xFileControl, (op: c_int, p: *mut c_void) -> c_int);
forward!(x_sector_size, xSectorSize, () -> c_int);
forward!(x_device_chars, xDeviceCharacteristics, () -> c_int);
forward!(x_shm_map, xShmMap, (pg: c_int, sz: c_int, ext: c_int, pp: *mut *mut c_void) -> c_int);
forward!(x_shm_lock, xShmLock, (off: c_int, n: c_int, flags: c_int) -> c_int);
forward!(x_shm_unmap, xShmUnmap, (del: c_int) -> c_int);

unsafe extern "C" fn x_shm_barrier(f: *mut ffi::sqlite3_file) {
    unsafe { (methods(f).xShmBarrier.unwrap())(real(f)) }
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 2,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_unlock),
    xCheckReservedLock: Some(x_check_reserved),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device_chars),
    xShmMap: Some(x_shm_map),
    xShmLock: Some(x_shm_lock),
    xShmBarrier: Some(x_shm_barrier),
    xShmUnmap: Some(x_shm_unmap),
    xFetch: None,
    xUnfetch: None,
};

unsafe extern "C" fn v_open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    f: *mut ffi::sqlite3_file,
    flags: c_int,
    out: *mut c_int,
) -> c_int {
    unsafe {
        let r = real_vfs();
        (*(f as *mut File)).base.pMethods = std::ptr::null();
        (*(f as *mut File)).path = std::ptr::null_mut();
        let rc = ((*r).xOpen.unwrap())(r, name, real(f), flags, out);
        if rc == ffi::SQLITE_OK && !(*real(f)).pMethods.is_null() {
            if !name.is_null() {
                let p = CStr::from_ptr(name).to_string_lossy().into_owned();
                (*(f as *mut File)).path = Box::into_raw(Box::new(p));
            }
            (*(f as *mut File)).base.pMethods = &METHODS;
        }
        rc
    }
}

unsafe extern "C" fn v_delete(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    sync_dir: c_int,
) -> c_int {
    unsafe {
        let path = CStr::from_ptr(name).to_string_lossy().into_owned();
        let mut st = state();
        if !st.step(&path) {
            return ffi::SQLITE_IOERR_DELETE;
        }
        let r = real_vfs();
        let rc = ((*r).xDelete.unwrap())(r, name, sync_dir);
        if rc == ffi::SQLITE_OK {
            st.unsynced.remove(&path);
        }
        rc
    }
}

macro_rules! vforward {
    ($name:ident, $field:ident, ($($arg:ident : $ty:ty),*) -> $ret:ty) => {
        unsafe extern "C" fn $name(_v: *mut ffi::sqlite3_vfs $(, $arg: $ty)*) -> $ret {
            unsafe {
                let r = real_vfs();
                ((*r).$field.unwrap())(r $(, $arg)*)
            }
        }
    };
}

vforward!(v_access, xAccess, (n: *const c_char, fl: c_int, out: *mut c_int) -> c_int);
vforward!(v_full, xFullPathname, (n: *const c_char, len: c_int, out: *mut c_char) -> c_int);
vforward!(v_dlopen, xDlOpen, (n: *const c_char) -> *mut c_void);
vforward!(v_dlerror, xDlError, (n: c_int, out: *mut c_char) -> ());
vforward!(v_dlclose, xDlClose, (h: *mut c_void) -> ());
vforward!(v_random, xRandomness, (n: c_int, out: *mut c_char) -> c_int);
vforward!(v_sleep, xSleep, (us: c_int) -> c_int);
vforward!(v_time, xCurrentTime, (t: *mut f64) -> c_int);
vforward!(v_lasterr, xGetLastError, (n: c_int, out: *mut c_char) -> c_int);
vforward!(v_time64, xCurrentTimeInt64, (t: *mut ffi::sqlite3_int64) -> c_int);

type DlSym = unsafe extern "C" fn(*mut ffi::sqlite3_vfs, *mut c_void, *const c_char);

unsafe extern "C" fn v_dlsym(
    _v: *mut ffi::sqlite3_vfs,
    h: *mut c_void,
    s: *const c_char,
) -> Option<DlSym> {
    unsafe {
        let r = real_vfs();
        ((*r).xDlSym.unwrap())(r, h, s)
    }
}

/// Makes the power-cut VFS the process's default (once).
pub fn install() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| unsafe {
        assert_eq!(ffi::sqlite3_initialize(), ffi::SQLITE_OK);
        let r = ffi::sqlite3_vfs_find(c"unix".as_ptr());
        assert!(!r.is_null(), "no unix VFS");
        REAL.store(r, Ordering::Release);
        let vfs = Box::leak(Box::new(ffi::sqlite3_vfs {
            iVersion: 2,
            szOsFile: (std::mem::size_of::<File>() as c_int) + (*r).szOsFile,
            mxPathname: (*r).mxPathname,
            pNext: std::ptr::null_mut(),
            zName: c"powercut".as_ptr(),
            pAppData: std::ptr::null_mut(),
            xOpen: Some(v_open),
            xDelete: Some(v_delete),
            xAccess: Some(v_access),
            xFullPathname: Some(v_full),
            xDlOpen: Some(v_dlopen),
            xDlError: Some(v_dlerror),
            xDlSym: Some(v_dlsym),
            xDlClose: Some(v_dlclose),
            xRandomness: Some(v_random),
            xSleep: Some(v_sleep),
            xCurrentTime: Some(v_time),
            xGetLastError: Some(v_lasterr),
            xCurrentTimeInt64: Some(v_time64),
            xSetSystemCall: None,
            xGetSystemCall: None,
            xNextSystemCall: None,
        }));
        assert_eq!(ffi::sqlite3_vfs_register(vfs, 1), ffi::SQLITE_OK);
    });
}

fn key(root: &std::path::Path) -> String {
    std::fs::canonicalize(root)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// The power goes out under `root` after `steps` more writes, syncs,
/// truncations or deletions there.
pub fn arm(root: &std::path::Path, steps: u64) {
    let root = key(root);
    let mut st = state();
    st.arms.retain(|a| a.root != root);
    st.arms.push(Arm {
        root,
        left: steps.max(1),
        dead: false,
    });
}

/// Writes, syncs, truncations and deletions so far under `root`.
pub fn ops_under(root: &std::path::Path) -> u64 {
    let root = key(root);
    state()
        .ops
        .iter()
        .filter(|(p, _)| p.starts_with(&root))
        .map(|(_, n)| n)
        .sum()
}

/// Ends a disk failure under `root` without losing anything: the writes
/// that went through stay (an I/O error, not a power cut).
pub fn disarm(root: &std::path::Path) {
    let root = key(root);
    state().arms.retain(|a| a.root != root);
}

/// Whether the power went out under `root`.
pub fn is_out(root: &std::path::Path) -> bool {
    let root = key(root);
    state().arms.iter().any(|a| a.root == root && a.dead)
}

/// Successful syncs of `file` so far.
pub fn syncs(file: &std::path::Path) -> u64 {
    let dir = key(file.parent().unwrap());
    let p = format!("{dir}/{}", file.file_name().unwrap().to_string_lossy());
    state().syncs.get(&p).copied().unwrap_or(0)
}

/// After every connection under `root` is closed: each file there goes
/// back to its last synced content. `keep(i)` says whether the i-th
/// unsynced change (in order) reached the disk anyway. Returns how many
/// changes were lost. The power is back on afterwards.
pub fn power_cut(root: &std::path::Path, keep: &mut dyn FnMut(usize) -> bool) -> usize {
    use std::io::{Seek, SeekFrom, Write};
    let root = key(root);
    let mut st = state();
    st.arms.retain(|a| a.root != root);
    let paths: Vec<String> = st
        .unsynced
        .keys()
        .filter(|p| p.starts_with(&root))
        .cloned()
        .collect();
    let mut lost = 0;
    let mut i = 0;
    for p in paths {
        let ops = st.unsynced.remove(&p).unwrap_or_default();
        let Ok(mut f) = std::fs::OpenOptions::new().read(true).write(true).open(&p) else {
            continue;
        };
        for op in ops.iter().rev() {
            match op {
                Op::Write {
                    off, old, old_size, ..
                } => {
                    f.seek(SeekFrom::Start(*off)).unwrap();
                    f.write_all(old).unwrap();
                    f.set_len(*old_size).unwrap();
                }
                Op::Truncate {
                    old_size,
                    tail,
                    new_size,
                } => {
                    f.set_len(*old_size).unwrap();
                    f.seek(SeekFrom::Start(*new_size)).unwrap();
                    f.write_all(tail).unwrap();
                }
            }
        }
        for op in &ops {
            let kept = keep(i);
            i += 1;
            if !kept {
                lost += 1;
                continue;
            }
            match op {
                Op::Write { off, new, .. } => {
                    f.seek(SeekFrom::Start(*off)).unwrap();
                    f.write_all(new).unwrap();
                }
                Op::Truncate { new_size, .. } => f.set_len(*new_size).unwrap(),
            }
        }
        f.sync_all().unwrap();
    }
    lost
}
