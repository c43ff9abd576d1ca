//! The one integration-test binary: one module per area.
mod admin;
mod api;
mod audit;
mod backup;
mod challenge;
mod enckey;
mod harness;
mod host;
mod policy;
mod setup;
