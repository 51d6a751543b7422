//! The finance screen (its tabs).

pub mod posting;
pub mod reports;
