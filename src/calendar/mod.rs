//! Working days and exchange deadlines.
