//! Integration tests: one crate, one module per area.

mod corpus;
mod golden;
mod server_fixtures;
mod util;
