//! Spoke's domain: the rules of community case management as pure code.
//!
//! Nothing here performs I/O. Values are parsed into types that cannot hold
//! bad data; lifecycle rules and the authorization policy are plain functions
//! that the persistence and API layers call.

pub mod assessment;
pub mod audit;
pub mod care;
pub mod client;
pub mod consent;
pub mod directory;
pub mod error;
pub mod ids;
pub mod plan;
pub mod policy;
pub mod referral;
pub mod staff;
pub mod values;

pub use error::{FieldError, FieldErrors, ValueError};
