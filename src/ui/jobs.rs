//! Long work (imports, loading and indexing a 30k-item list) runs on a
//! worker thread so the window keeps answering; the screen shows a progress
//! bar from the shared counters and picks the result up when it is ready.

use crate::error::{ErrorKind, Failure};
use eframe::egui;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// Counters a worker updates and the UI reads.
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicU64,
    total: AtomicU64,
}

impl Progress {
    pub fn set(&self, done: u64, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        self.done.store(done, Ordering::Relaxed);
    }

    /// 0.0–1.0, or `None` before the worker knows how much there is.
    pub fn fraction(&self) -> Option<f32> {
        let total = self.total.load(Ordering::Relaxed);
        if total == 0 {
            return None;
        }
        let done = self.done.load(Ordering::Relaxed).min(total);
        Some(done as f32 / total as f32)
    }
}

/// Where a job is.
pub enum Poll<T> {
    Running,
    Done(T),
    /// The worker ended without an answer (it panicked): a bug, reported as
    /// such rather than leaving a progress bar spinning forever.
    Lost,
}

/// One piece of work running on its own thread.
pub struct Job<T> {
    rx: mpsc::Receiver<T>,
    progress: Arc<Progress>,
}

impl<T: Send + 'static> Job<T> {
    /// Starts `work` on a new thread; the window is woken when it finishes.
    pub fn spawn(
        ctx: &egui::Context,
        work: impl FnOnce(&Progress) -> T + Send + 'static,
    ) -> Job<T> {
        let (tx, rx) = mpsc::channel();
        let progress = Arc::new(Progress::default());
        let p = Arc::clone(&progress);
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let out = work(&p);
            // The receiver is gone only when the window closed meanwhile.
            let _ = tx.send(out);
            ctx.request_repaint();
        });
        Job { rx, progress }
    }

    /// The result once the worker is done. While it runs, asks for another
    /// frame soon so the progress bar moves.
    pub fn poll(&self, ctx: &egui::Context) -> Poll<T> {
        match self.rx.try_recv() {
            Ok(out) => Poll::Done(out),
            Err(mpsc::TryRecvError::Empty) => {
                ctx.request_repaint_after(Duration::from_millis(50));
                Poll::Running
            }
            Err(mpsc::TryRecvError::Disconnected) => Poll::Lost,
        }
    }

    pub fn fraction(&self) -> Option<f32> {
        self.progress.fraction()
    }
}

/// A progress bar for a job, indeterminate until the worker knows its size.
pub fn progress_bar(ui: &mut egui::Ui, fraction: Option<f32>, text: &str) {
    match fraction {
        Some(f) => ui.add(egui::ProgressBar::new(f).show_percentage().text(text)),
        None => ui.add(egui::ProgressBar::new(0.0).animate(true).text(text)),
    };
}

/// At most one job of a kind: the one poller every screen's background work
/// goes through. A worker that ended without an answer becomes an internal
/// failure, reported once.
pub struct Slot<T> {
    job: Option<Job<Result<T, Failure>>>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot { job: None }
    }
}

impl<T: Send + 'static> Slot<T> {
    /// Starts `work`, replacing (and forgetting) any job still running.
    pub fn start(
        &mut self,
        ctx: &egui::Context,
        work: impl FnOnce(&Progress) -> Result<T, Failure> + Send + 'static,
    ) {
        self.job = Some(Job::spawn(ctx, work));
    }

    pub fn running(&self) -> bool {
        self.job.is_some()
    }

    /// The progress of the running job, if it knows its size.
    pub fn fraction(&self) -> Option<f32> {
        self.job.as_ref().and_then(Job::fraction)
    }

    /// The result once the worker is done; `None` while it runs or when
    /// nothing was started.
    pub fn poll(&mut self, ctx: &egui::Context) -> Option<Result<T, Failure>> {
        let out = match self.job.as_ref()?.poll(ctx) {
            Poll::Running => return None,
            Poll::Done(result) => result,
            Poll::Lost => Err(lost()),
        };
        self.job = None;
        Some(out)
    }
}

fn lost() -> Failure {
    Failure::new(
        ErrorKind::Internal,
        "后台任务意外中止（详见日志）",
        "a background task stopped unexpectedly (see the log)",
    )
}
