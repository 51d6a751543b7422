//! The hospital signing key: 32 random bytes made at setup (or imported from
//! another terminal), kept in the data directory readable by its owner only.
//! Receipt QR codes and terminal journals are signed with HMAC-SHA256 under
//! it, so any terminal can check them with no network. This is the one small
//! API the rest of the program signs and verifies through.

use crate::error::{ErrorKind, Remedy, UserFacing};
use crate::i18n::Lang;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub mod checks;
pub mod transfer;
pub mod wrap;

type HmacSha256 = Hmac<Sha256>;

const EXPORT_HEADER: &str = "downtime-billing signing key v1";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a signing key file ({detail})")]
    Malformed { path: PathBuf, detail: String },
    #[error("{path}: the key does not match its checksum; the file is corrupted or was edited")]
    Checksum { path: PathBuf },
    #[error("{path}: a signing key already exists here")]
    Exists { path: PathBuf },
    #[error(
        "{path}: this key ({found}) is not the hospital key this terminal already holds ({held}); receipts signed under the held key must still verify. Replacing it is a deliberate act (export the held key first to keep it)"
    )]
    Mismatch {
        path: PathBuf,
        found: String,
        held: String,
    },
    #[error(
        "the hospital signing key is not unlocked{}: log in with your PIN (a user without a wrapped key needs an admin to reset their PIN)",
        if user.is_empty() { String::new() } else { format!(" for {user}") }
    )]
    NotUnlocked { user: String },
    #[error("{0}")]
    Store(Box<crate::store::StoreError>),
}

impl UserFacing for KeyError {
    fn remedy(&self) -> Option<Remedy> {
        matches!(self, KeyError::Mismatch { .. }).then_some(Remedy::ReplaceHeld)
    }

    fn kind(&self) -> ErrorKind {
        match self {
            KeyError::Io { .. } => ErrorKind::Internal,
            KeyError::Store(e) => e.kind(),
            KeyError::NotUnlocked { .. } => ErrorKind::NotAllowed,
            KeyError::Malformed { .. } => ErrorKind::Invalid,
            KeyError::Checksum { .. } | KeyError::Mismatch { .. } => ErrorKind::Verification,
            KeyError::Exists { .. } => ErrorKind::Conflict,
        }
    }
    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            KeyError::Io { path, source } => format!("{}：{source}", path.display()),
            KeyError::Malformed { path, detail } => {
                format!("{}：不是签名密钥文件（{detail}）", path.display())
            }
            KeyError::Checksum { path } => {
                format!("{}：密钥与校验和不符，文件已损坏或被改动", path.display())
            }
            KeyError::Exists { path } => format!("{}：此处已有签名密钥", path.display()),
            KeyError::NotUnlocked { user } => format!(
                "{user}未解锁医院签名密钥：请用 PIN 登录（没有密钥封装的用户需管理员重置其 PIN）"
            ),
            KeyError::Store(e) => e.message(lang),
            KeyError::Mismatch { path, found, held } => format!(
                "{}：该密钥（{found}）与本终端已有的医院密钥（{held}）不同；用旧密钥签名的票据仍须能验证。替换须明确确认（如需保留旧密钥，请先导出）",
                path.display()
            ),
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey([u8; 32]);

impl Drop for SigningKey {
    fn drop(&mut self) {
        // The key lives in memory only while a session needs it.
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // never print the key itself
        write!(f, "SigningKey({})", self.fingerprint())
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl SigningKey {
    pub fn generate() -> SigningKey {
        let mut k = [0u8; 32];
        rand::fill(&mut k);
        SigningKey(k)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> SigningKey {
        SigningKey(bytes)
    }

    /// The raw key bytes, for wrapping them ([`wrap::seal`]).
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// A short public name for the key (first 8 bytes of its SHA-256), to
    /// tell keys apart without revealing them.
    pub fn fingerprint(&self) -> String {
        hex::encode(&Sha256::digest(self.0)[..8])
    }

    fn checksum(&self) -> String {
        hex::encode(Sha256::digest(self.0))
    }

    /// HMAC-SHA256 of `msg` under the key.
    pub fn sign(&self, msg: &[u8]) -> [u8; 32] {
        let mut mac = self.mac();
        mac.update(msg);
        mac.finalize().into_bytes().into()
    }

    /// Checks a tag, full (32 bytes) or truncated to its leading bytes (at
    /// least 16, i.e. 128 bits), in constant time.
    pub fn verify(&self, msg: &[u8], tag: &[u8]) -> bool {
        if tag.len() < 16 || tag.len() > 32 {
            return false;
        }
        let mut mac = self.mac();
        mac.update(msg);
        mac.verify_truncated_left(tag).is_ok()
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes a key of any length, so this cannot fail for 32 bytes.
        match <HmacSha256 as KeyInit>::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC accepts 32-byte keys"),
        }
    }

    /// The key file inside a data directory: the export format, owner-only.
    pub fn load(path: &Path) -> Result<SigningKey, KeyError> {
        let text = std::fs::read_to_string(path).map_err(io(path))?;
        Self::parse_export(&text, path)
    }

    /// Writes the key to `path`, readable by its owner only, durably.
    pub fn save_new(&self, path: &Path) -> Result<(), KeyError> {
        if path.exists() {
            return Err(KeyError::Exists {
                path: path.to_path_buf(),
            });
        }
        let tmp = path.with_extension("key.tmp");
        {
            use std::io::Write;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&tmp).map_err(io(&tmp))?;
            f.write_all(self.export_text().as_bytes())
                .map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
        }
        std::fs::rename(&tmp, path).map_err(io(path))?;
        if let Some(dir) = path.parent()
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// The text of a key file: header, key and its SHA-256 checksum.
    pub fn export_text(&self) -> String {
        format!(
            "{EXPORT_HEADER}\nkey: {}\nsha256: {}\n",
            hex::encode(self.0),
            self.checksum()
        )
    }

    pub fn parse_export(text: &str, path: &Path) -> Result<SigningKey, KeyError> {
        let malformed = |detail: &str| KeyError::Malformed {
            path: path.to_path_buf(),
            detail: detail.to_string(),
        };
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        if lines.next() != Some(EXPORT_HEADER) {
            return Err(malformed("missing header line"));
        }
        let key_hex = lines
            .next()
            .and_then(|l| l.strip_prefix("key:"))
            .ok_or_else(|| malformed("missing 'key:' line"))?
            .trim();
        let sum = lines
            .next()
            .and_then(|l| l.strip_prefix("sha256:"))
            .ok_or_else(|| malformed("missing 'sha256:' line"))?
            .trim();
        let bytes = hex::decode(key_hex).map_err(|_| malformed("key is not hex"))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| malformed("key is not 32 bytes"))?;
        let key = SigningKey(arr);
        if !key.checksum().eq_ignore_ascii_case(sum) {
            return Err(KeyError::Checksum {
                path: path.to_path_buf(),
            });
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_export_round_trip() {
        let k = SigningKey::generate();
        let tag = k.sign(b"MZ01-00000001");
        assert!(k.verify(b"MZ01-00000001", &tag));
        assert!(k.verify(b"MZ01-00000001", &tag[..16]));
        assert!(!k.verify(b"MZ01-00000001", &tag[..15]));
        assert!(!k.verify(b"MZ01-00000002", &tag));
        let p = Path::new("k.key");
        let back = SigningKey::parse_export(&k.export_text(), p).unwrap();
        assert_eq!(back, k);
        let mut broken = k.export_text();
        let pos = broken.find("key: ").unwrap() + 5;
        let c = if &broken[pos..pos + 1] == "0" {
            "1"
        } else {
            "0"
        };
        broken.replace_range(pos..pos + 1, c);
        assert!(matches!(
            SigningKey::parse_export(&broken, p),
            Err(KeyError::Checksum { .. })
        ));
        assert!(matches!(
            SigningKey::parse_export("hello", p),
            Err(KeyError::Malformed { .. })
        ));
    }
}
