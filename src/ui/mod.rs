//! The GUI face (eframe/egui, glow). One [`App`] shell with a route per screen;
//! screens emit commands the app applies between frames, so no database
//! call ever runs inside a widget. All text comes from `assets/strings.json`
//! through [`crate::i18n::tr`].

pub mod app;
pub mod browser;
pub mod cashier;
pub mod finance;
pub mod fonts;
pub mod history;
pub mod jobs;
pub mod login;
pub mod pharmacy;
pub mod prices_admin;
pub mod ranges;
pub mod sample;
pub mod screen;
pub mod settings;
pub mod setup;
pub mod status;
pub mod users;
pub mod widgets;

pub use app::{App, Route};

use crate::clock::SystemClock;
use crate::error::{ErrorKind, Failure};
use crate::i18n::{Lang, tr};
use crate::store::DataDir;
use eframe::egui;
use std::sync::Arc;

/// Opens the window and runs until it is closed.
pub fn run(data_dir: DataDir, lang: Lang) -> Result<(), Failure> {
    let _ = STARTED.set(std::time::Instant::now());
    fixed_mmap_threshold();
    let title = tr(lang, "app.title").to_string();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(title.clone())
            // WM_CLASS / Wayland app id: what the desktop entry's
            // StartupWMClass matches, so the taskbar shows its icon.
            .with_app_id("downtime-billing")
            .with_inner_size([1100.0, 720.0])
            .with_min_inner_size([720.0, 480.0]),
        ..Default::default()
    };
    eframe::run_native(
        &title,
        options,
        Box::new(move |cc| {
            Ok(Box::new(App::new(
                &cc.egui_ctx,
                data_dir,
                lang,
                Arc::new(SystemClock),
            )))
        }),
    )
    .map_err(|e| {
        Failure::new(
            ErrorKind::Internal,
            format!("无法打开窗口：{e}（没有图形界面时请使用命令行子命令）"),
            format!("cannot open the window: {e} (without a display, use the subcommands)"),
        )
    })
}

/// When the window opened (for the start-up trace).
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// `DOWNTIME_BILLING_TRACE_STARTUP=1` prints, once, when the first frame has
/// been painted (at the start of the second, which it asks for): the
/// milliseconds since [`run`] and the Unix time in ms, so a script can also
/// count from the process's launch (`scripts/gui_startup.sh`,
/// docs/performance.md). Called at the top of every frame; does nothing
/// otherwise.
pub(crate) fn trace_startup(ctx: &egui::Context) {
    use std::sync::atomic::{AtomicU32, Ordering};
    static FRAMES: AtomicU32 = AtomicU32::new(0);
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if !*ON.get_or_init(|| std::env::var_os("DOWNTIME_BILLING_TRACE_STARTUP").is_some()) {
        return;
    }
    match FRAMES.fetch_add(1, Ordering::Relaxed) {
        0 => ctx.request_repaint(),
        1 => {
            let since = STARTED.get().map(|t| t.elapsed().as_secs_f64() * 1e3);
            let unix_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or_default();
            eprintln!(
                "startup: first frame painted {:.1} ms after the window was asked for; unix_ms {unix_ms}",
                since.unwrap_or_default()
            );
        }
        _ => {}
    }
}

/// Large blocks (each login's Argon2 work areas, 19 MiB) always come from
/// their own mapping and go back to the system when freed. glibc otherwise
/// raises its threshold after the first such block and serves the next from
/// the heap, which it keeps: the window's peak memory then held 19 MiB more
/// while the month was indexed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn fixed_mmap_threshold() {
    // SAFETY: mallopt only changes the allocator's tuning; it is called
    // before the window's threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn fixed_mmap_threshold() {}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every literal key passed to the translation call in the GUI sources.
    fn keys_used(dir: &Path, out: &mut Vec<(String, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                keys_used(&path, out);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, _) in text.match_indices("tr(") {
                // Only the translation call itself, not e.g. `str(` or `.tr(`.
                let before = text[..i].chars().last();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                    continue;
                }
                let rest = &text[i + 3..];
                let Some(comma) = rest.find(',') else {
                    continue;
                };
                let after = rest[comma + 1..].trim_start();
                if let Some(lit) = after.strip_prefix('"')
                    && let Some(end) = lit.find('"')
                {
                    out.push((lit[..end].to_string(), path.display().to_string()));
                }
            }
        }
    }

    /// Literals shaped like a table key in a known namespace, wherever they
    /// appear (keys are also passed around before being translated).
    fn key_literals(dir: &Path, out: &mut Vec<(String, String)>) {
        const NAMESPACES: [&str; 15] = [
            "ranges", "users", "verify", "lock", "app", "common", "setup", "sample", "login",
            "nav", "status", "browser", "col", "admin", "cashier",
        ];
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                key_literals(&path, out);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for lit in text.split('"').skip(1).step_by(2) {
                let shaped = lit.contains('.')
                    && lit
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_');
                if shaped
                    && lit
                        .split('.')
                        .next()
                        .is_some_and(|ns| NAMESPACES.contains(&ns))
                {
                    out.push((lit.to_string(), path.display().to_string()));
                }
            }
        }
    }

    #[test]
    fn every_key_used_in_the_gui_exists_in_the_string_table() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui");
        let mut used = Vec::new();
        keys_used(&dir, &mut used);
        key_literals(&dir, &mut used);
        assert!(used.len() > 20, "the scan found too few keys: {used:?}");
        let raw: std::collections::HashMap<String, [String; 2]> =
            serde_json::from_str(include_str!("../../assets/strings.json")).unwrap();
        let missing: Vec<_> = used.iter().filter(|(k, _)| !raw.contains_key(k)).collect();
        assert!(
            missing.is_empty(),
            "keys missing from assets/strings.json: {missing:?}"
        );
    }
}
