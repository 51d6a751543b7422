//! What happens to a receipt's PDF after the receipt is committed: saved
//! under the data directory, optionally copied where a script asked, and
//! optionally handed to the terminal's print command.

use crate::auth::Session;
use crate::clock::Clock;
use crate::error::{ErrorKind, Failure};
use crate::print::Delivery;
use crate::receipts::{self, ReceiptView};
use crate::store::Store;
use std::path::{Path, PathBuf};

/// The PDF step a face asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PdfStep {
    /// No PDF (scripts that only want the number, load runs).
    #[default]
    Skip,
    /// Render and save under `receipts/`, and copy the bytes to this file
    /// when given (`--pdf OUT`).
    Save { copy_to: Option<PathBuf> },
    /// Render, save and send to the configured print command (the cashier
    /// window); with no command configured the PDF stays saved.
    Print,
}

/// What became of the PDF step.
#[derive(Debug)]
pub enum PdfOutcome {
    Skipped,
    /// Saved (and copied, when asked); `delivery` is set when it was handed
    /// to the print command (or left saved for lack of one).
    Done {
        saved: PathBuf,
        copy: Option<PathBuf>,
        delivery: Option<Delivery>,
    },
    /// The receipt stands; its paper did not happen.
    Failed(Failure),
}

impl PdfOutcome {
    /// Where the PDF went, once it exists.
    pub fn path(&self) -> Option<&Path> {
        match self {
            PdfOutcome::Done {
                copy: Some(copy), ..
            } => Some(copy),
            PdfOutcome::Done { saved, .. } => Some(saved),
            _ => None,
        }
    }

    /// True when the printer (or the saved file, without a print command)
    /// has the receipt.
    pub fn printed(&self) -> bool {
        matches!(
            self,
            PdfOutcome::Done {
                delivery: Some(_),
                ..
            }
        )
    }

    pub fn failure(&self) -> Option<&Failure> {
        match self {
            PdfOutcome::Failed(f) => Some(f),
            _ => None,
        }
    }
}

fn write_copy(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, bytes).map_err(|e| {
        Failure::new(
            ErrorKind::Invalid,
            format!("{}：{e}", path.display()),
            format!("{}: {e}", path.display()),
        )
    })
}

/// Copies and prints an already saved PDF as `step` asks.
pub(super) fn finish(
    store: &Store,
    bytes: &[u8],
    saved: PathBuf,
    step: &PdfStep,
) -> Result<PdfOutcome, Failure> {
    match step {
        PdfStep::Skip => Ok(PdfOutcome::Skipped),
        PdfStep::Save { copy_to } => {
            if let Some(out) = copy_to {
                write_copy(out, bytes)?;
            }
            Ok(PdfOutcome::Done {
                saved,
                copy: copy_to.clone(),
                delivery: None,
            })
        }
        PdfStep::Print => {
            let command = crate::auth::settings::print_command(store.conn())?;
            let delivery = crate::print::deliver(&saved, command.as_deref())?;
            Ok(PdfOutcome::Done {
                saved,
                copy: None,
                delivery: Some(delivery),
            })
        }
    }
}

/// Renders, saves and delivers a stored receipt's PDF; every failure is
/// kept in the outcome (the receipt is already committed).
pub(super) fn pdf_of(store: &Store, v: &ReceiptView, step: &PdfStep) -> PdfOutcome {
    if *step == PdfStep::Skip {
        return PdfOutcome::Skipped;
    }
    let result = receipts::save_pdf(store, v, receipts::doc::Printing::Original)
        .map_err(Failure::from)
        .and_then(|(bytes, saved)| finish(store, &bytes, saved, step));
    result.unwrap_or_else(PdfOutcome::Failed)
}

/// A reprint: the counted copy (marked 重打/COPY) and what became of it.
#[derive(Debug)]
pub struct Reprinted {
    pub receipt: ReceiptView,
    pub bytes: Vec<u8>,
    pub pdf: PdfOutcome,
}

/// Records a reprint (committed first, so every copy is counted), renders
/// the copy and delivers it as `step` asks.
pub fn reprint(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    number: &str,
    step: &PdfStep,
) -> Result<Reprinted, Failure> {
    let (receipt, bytes, saved) = receipts::reprint_pdf(store, session, clock, number)?;
    let pdf = finish(store, &bytes, saved, step).unwrap_or_else(PdfOutcome::Failed);
    Ok(Reprinted {
        receipt,
        bytes,
        pdf,
    })
}
