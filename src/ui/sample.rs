//! The sample price list a newcomer is offered right after setup, so they
//! can search and issue receipts at once. The newest `price_lists/sample_*`
//! file next to the program is preferred (an admin may drop a newer one
//! there); the copy compiled into the binary is the fallback, so the program
//! works from any directory.

use std::path::{Path, PathBuf};

/// The sample list compiled in (the newest one when this binary was built).
const EMBEDDED_NAME: &str = "sample_2026-11.csv";
static EMBEDDED: &[u8] = include_bytes!("../../price_lists/sample_2026-11.csv");

/// A sample list, by name, with its bytes.
#[derive(Debug, Clone)]
pub struct SampleList {
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// Where it was read from; `None` for the compiled-in copy.
    pub source: Option<PathBuf>,
}

/// `./price_lists`, then the crate's own `price_lists/`.
fn candidate_dirs() -> Vec<PathBuf> {
    vec![
        PathBuf::from("price_lists"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("price_lists"),
    ]
}

/// The newest `sample_*.csv` in `dir` (names sort by month).
fn newest_in(dir: &Path) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("sample_") && n.ends_with(".csv"))
        })
        .max()
}

/// The sample list to offer.
pub fn find() -> SampleList {
    for dir in candidate_dirs() {
        if let Some(path) = newest_in(&dir)
            && let Ok(bytes) = std::fs::read(&path)
        {
            let file_name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or(EMBEDDED_NAME)
                .to_string();
            return SampleList {
                file_name,
                bytes,
                source: Some(path),
            };
        }
    }
    SampleList {
        file_name: EMBEDDED_NAME.to_string(),
        bytes: EMBEDDED.to_vec(),
        source: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_sample_wins_and_the_embedded_copy_is_a_valid_list() {
        let tmp = tempfile::tempdir().unwrap();
        for n in ["sample_2026-10.csv", "sample_2026-12.csv", "other.csv"] {
            std::fs::write(tmp.path().join(n), "x").unwrap();
        }
        let newest = newest_in(tmp.path()).unwrap();
        assert!(newest.ends_with("sample_2026-12.csv"));
        let analysis = crate::prices::analyse_bytes(EMBEDDED_NAME, EMBEDDED);
        assert!(analysis.is_valid(), "{:?}", analysis.problems);
        assert!(analysis.list.items.len() >= 150);
    }
}
