//! Every setting of a terminal, each with its default, what values it takes
//! and a typed accessor, so the GUI, the CLI and the library read them the
//! same way, no key is spelled twice, and a bad value can never be stored.
//! Changing one of the [`KNOWN`] settings is an admin operation, audited like
//! any other change; the terminal code and the hospital name are written
//! once, at setup.
//!
//! Later capabilities with settings of the same kind add one line to
//! [`KNOWN`].

use crate::audit::{self, Actor};
use crate::auth::{AuthError, Role, Session};
use crate::clock::Clock;
use crate::store::{self, Store, StoreError};
use rusqlite::Connection;

/// What values a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    /// A whole number in `min..=max`.
    Count { min: i64, max: i64 },
    /// A folder on a local disk; empty means the default.
    Folder,
    /// One of the listed words.
    Choice(&'static [&'static str]),
    /// An amount of money (yuan, up to 2 decimals, not negative).
    Amount,
    /// A command line template; empty means none.
    Command,
}

/// One setting an admin may change.
#[derive(Debug, Clone, Copy)]
pub struct SettingSpec {
    pub key: &'static str,
    /// The value in force when the setting was never written.
    pub default: &'static str,
    pub kind: SettingKind,
    pub zh: &'static str,
    pub en: &'static str,
}

pub const LOCKOUT_MINUTES: &str = "auth.lockout_minutes";
pub const IDLE_LOCK_MINUTES: &str = "ui.idle_lock_minutes";
pub const BACKUP_DIR: &str = "backup.dir";
pub const BACKUP_KEEP: &str = "backup.keep";
pub const BACKUP_EVERY_RECEIPTS: &str = "backup.every_receipts";
pub const BACKUP_MAX_AGE_HOURS: &str = "backup.max_age_hours";
pub const PRINT_LAYOUT: &str = "print.layout";
pub const PRINT_COMMAND: &str = "print.command";
pub const SHIFT_VARIANCE_LIMIT: &str = "shift.variance_limit";
/// Written at setup, never changed.
pub const TERMINAL_CODE: &str = "terminal.code";
/// Written at setup: the name printed on receipts and reports.
pub const HOSPITAL_NAME: &str = "hospital.name";

pub const KNOWN: &[SettingSpec] = &[
    SettingSpec {
        key: LOCKOUT_MINUTES,
        default: "5",
        kind: SettingKind::Count { min: 1, max: 1440 },
        zh: "连续 5 次输错 PIN 后锁定的分钟数",
        en: "minutes a user stays locked after 5 wrong PINs",
    },
    SettingSpec {
        key: IDLE_LOCK_MINUTES,
        default: "5",
        kind: SettingKind::Count { min: 1, max: 240 },
        zh: "界面无操作多少分钟后锁屏",
        en: "minutes of inactivity before the GUI locks itself",
    },
    SettingSpec {
        key: BACKUP_DIR,
        default: "",
        kind: SettingKind::Folder,
        zh: "自动备份的文件夹（空为数据目录下的 backups）",
        en: "folder for automatic backups (empty: backups in the data directory)",
    },
    SettingSpec {
        key: BACKUP_KEEP,
        default: "30",
        kind: SettingKind::Count { min: 1, max: 10000 },
        zh: "备份文件夹中保留的备份个数",
        en: "backups kept in the backup folder",
    },
    SettingSpec {
        key: BACKUP_EVERY_RECEIPTS,
        default: "20",
        kind: SettingKind::Count {
            min: 1,
            max: 100000,
        },
        zh: "每开出多少张票据自动备份一次",
        en: "receipts issued between automatic backups",
    },
    SettingSpec {
        key: BACKUP_MAX_AGE_HOURS,
        default: "24",
        kind: SettingKind::Count { min: 1, max: 8760 },
        zh: "最近一次备份超过多少小时即标红提示",
        en: "hours after which the last backup is shown as too old",
    },
    SettingSpec {
        key: PRINT_LAYOUT,
        default: "roll80",
        kind: SettingKind::Choice(&["roll80", "a5"]),
        zh: "票据版式：roll80（80 毫米热敏卷纸）或 a5",
        en: "receipt layout: roll80 (80 mm thermal roll) or a5",
    },
    SettingSpec {
        key: PRINT_COMMAND,
        default: "",
        kind: SettingKind::Command,
        zh: "打印命令，{pdf} 代表票据文件，如 lp -d 收费打印机 {pdf}（空为只保存）",
        en: "print command, {pdf} stands for the receipt file, e.g. lp -d cashier {pdf} (empty: save only)",
    },
    SettingSpec {
        key: SHIFT_VARIANCE_LIMIT,
        default: "10.00",
        kind: SettingKind::Amount,
        zh: "交班现金差额超过此金额需主管审批（元）",
        en: "cash variance at shift close above which a supervisor must approve (yuan)",
    },
];

pub fn spec(key: &str) -> Option<&'static SettingSpec> {
    KNOWN.iter().find(|s| s.key == key)
}

impl SettingSpec {
    /// Checks a value and returns it normalised (trimmed).
    pub fn check(&self, value: &str) -> Result<String, AuthError> {
        let v = value.trim();
        let bad = |reason: String| AuthError::BadSetting {
            key: self.key.to_string(),
            value: v.to_string(),
            reason,
        };
        match self.kind {
            SettingKind::Count { min, max } => {
                let n: i64 = v
                    .parse()
                    .map_err(|_| bad(format!("a whole number {min}–{max}")))?;
                if !(min..=max).contains(&n) {
                    return Err(bad(format!("a whole number {min}–{max}")));
                }
                Ok(n.to_string())
            }
            SettingKind::Folder => {
                if v.is_empty() {
                    return Ok(String::new());
                }
                let p = std::path::Path::new(v);
                if !p.is_absolute() {
                    return Err(bad("an absolute folder path".into()));
                }
                Ok(v.to_string())
            }
            SettingKind::Choice(words) => {
                let w = v.to_ascii_lowercase();
                if words.contains(&w.as_str()) {
                    Ok(w)
                } else {
                    Err(bad(format!("one of {}", words.join(", "))))
                }
            }
            SettingKind::Amount => match crate::money::Money::parse(v) {
                Ok(m) if !m.is_negative() => Ok(m.to_string()),
                _ => Err(bad("an amount like 10.00".into())),
            },
            SettingKind::Command => {
                if v.contains(['\n', '\r']) {
                    Err(bad("a single line".into()))
                } else {
                    Ok(v.to_string())
                }
            }
        }
    }
}

/// The value in force for a known setting (stored or default).
pub fn value(conn: &Connection, key: &str) -> Result<String, StoreError> {
    let default = spec(key).map(|s| s.default).unwrap_or_default();
    Ok(store::get_setting(conn, key)?
        .filter(|v| spec(key).is_none_or(|s| s.check(v).is_ok()))
        .unwrap_or_else(|| default.to_string()))
}

fn count(conn: &Connection, key: &str) -> Result<i64, StoreError> {
    let v = value(conn, key)?;
    Ok(v.parse()
        .unwrap_or_else(|_| spec(key).and_then(|s| s.default.parse().ok()).unwrap_or(1)))
}

/// Minutes a user stays locked after [`super::MAX_FAILED_PINS`] wrong PINs.
pub fn lockout_minutes(conn: &Connection) -> Result<i64, StoreError> {
    count(conn, LOCKOUT_MINUTES)
}

/// Minutes of inactivity before the GUI locks itself and asks for the PIN.
pub fn idle_lock_minutes(conn: &Connection) -> Result<u32, StoreError> {
    Ok(count(conn, IDLE_LOCK_MINUTES)?.clamp(1, u32::MAX as i64) as u32)
}

/// Keeps this many backups in the backup folder.
pub fn backup_keep(conn: &Connection) -> Result<usize, StoreError> {
    Ok(count(conn, BACKUP_KEEP)?.max(1) as usize)
}

/// Receipts issued between automatic backups.
pub fn backup_every_receipts(conn: &Connection) -> Result<u64, StoreError> {
    Ok(count(conn, BACKUP_EVERY_RECEIPTS)?.max(1) as u64)
}

/// The last backup counts as stale after this many hours.
pub fn backup_max_age_hours(conn: &Connection) -> Result<i64, StoreError> {
    count(conn, BACKUP_MAX_AGE_HOURS)
}

/// The configured backup folder, when one is set.
pub fn backup_dir(conn: &Connection) -> Result<Option<std::path::PathBuf>, StoreError> {
    let v = value(conn, BACKUP_DIR)?;
    Ok((!v.is_empty()).then(|| std::path::PathBuf::from(v)))
}

/// The terminal's print command template (`{pdf}` for the file), when one
/// is set; `None` means PDFs are only saved.
pub fn print_command(conn: &Connection) -> Result<Option<String>, StoreError> {
    let v = value(conn, PRINT_COMMAND)?;
    Ok((!v.trim().is_empty()).then_some(v))
}

/// The hospital's name as printed (empty before setup).
pub fn hospital_name(conn: &Connection) -> Result<String, StoreError> {
    Ok(store::get_setting(conn, HOSPITAL_NAME)?.unwrap_or_default())
}

/// The terminal code as stored at setup (empty before setup); parsed into
/// a `TerminalCode` by [`crate::setup::terminal_code`].
pub fn terminal_code_text(conn: &Connection) -> Result<String, StoreError> {
    Ok(store::get_setting(conn, TERMINAL_CODE)?.unwrap_or_default())
}

/// The paper layout's word (`roll80` or `a5`), as stored or the default.
pub fn print_layout(conn: &Connection) -> Result<String, StoreError> {
    value(conn, PRINT_LAYOUT)
}

/// The cash variance a cashier may close a shift with unapproved.
pub fn shift_variance_limit(conn: &Connection) -> Result<crate::money::Money, StoreError> {
    let v = value(conn, SHIFT_VARIANCE_LIMIT)?;
    Ok(crate::money::Money::parse(&v).unwrap_or(crate::money::Money::from_fen(1000)))
}

/// A known setting and the value in force, for listings.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SettingValue {
    pub key: String,
    pub value: String,
    pub default: String,
    pub description: String,
}

/// Every known setting with its value (admin only: the backup folder and
/// print command say where copies of patient data go).
pub fn list(
    conn: &Connection,
    session: &Session,
    lang: crate::i18n::Lang,
) -> Result<Vec<SettingValue>, AuthError> {
    session.require(Role::Admin, "read settings")?;
    Ok(list_values(conn, lang)?)
}

fn list_values(
    conn: &Connection,
    lang: crate::i18n::Lang,
) -> Result<Vec<SettingValue>, StoreError> {
    KNOWN
        .iter()
        .map(|s| {
            Ok(SettingValue {
                key: s.key.to_string(),
                value: value(conn, s.key)?,
                default: s.default.to_string(),
                description: lang.pick(s.zh, s.en).to_string(),
            })
        })
        .collect()
}

/// Changes a known setting (admin only, audited).
pub fn set(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    key: &str,
    value: &str,
) -> Result<String, AuthError> {
    session.require(Role::Admin, "change settings")?;
    let spec = spec(key).ok_or_else(|| AuthError::UnknownSetting(key.to_string()))?;
    let value = spec.check(value)?;
    let tx = store.write()?;
    let old = store::get_setting(&tx, key)?;
    store::put_setting(&tx, key, &value)?;
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "setting.set",
        &[format!("setting:{key}")],
        serde_json::json!({"from": old, "to": value}),
    )?;
    tx.commit()?;
    tracing::info!(key, value = %value, by = %session.user(), "setting changed");
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked() {
        let s = spec(LOCKOUT_MINUTES).unwrap();
        assert_eq!(s.check(" 10 ").unwrap(), "10");
        assert!(s.check("0").is_err());
        assert!(s.check("ten").is_err());
        let d = spec(BACKUP_DIR).unwrap();
        assert!(d.check("relative/dir").is_err());
        assert_eq!(d.check("").unwrap(), "");
        for k in KNOWN {
            assert!(k.check(k.default).is_ok(), "default of {} is valid", k.key);
        }
    }
}
