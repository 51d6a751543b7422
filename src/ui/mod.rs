//! The GUI face (eframe/egui): built by the GUI work; this entry point opens
//! the window.

use crate::i18n::Lang;
use crate::store::DataDir;

pub fn run(_data_dir: DataDir, _lang: Lang) -> Result<(), crate::error::Failure> {
    Ok(())
}
