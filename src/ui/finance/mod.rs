//! The finance screen (placeholder module on this branch: the finance
//! engineer writes the screen frame; this branch adds its Reports tab).

pub mod reports;
