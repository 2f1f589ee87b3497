//! Integration tests: one crate, one module per area.

mod corpus;
mod corrupt;
mod golden;
mod properties;
mod server_fixtures;
mod util;
