//! The finance screen (its tabs).

pub mod posting;
