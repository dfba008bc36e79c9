//! One module per workflow. A use case takes the ports it needs, holds the rules, and
//! returns domain values; it knows nothing of HTTP or AWS.

pub mod access;
pub mod join_program;
pub mod sign_up;
pub mod who_am_i;
