//! Integration tests: one crate, one module per area.

mod builder;
mod check_diff;
mod corpus;
mod corrupt;
mod doctor;
mod fleet;
mod fuzz_replay;
mod golden;
mod hostile;
mod hostile_regress;
mod html;
mod keys;
mod live;
mod live_cluster;
mod memory;
mod merge;
mod one_scan;
mod ordered;
mod planted;
mod properties;
mod report_errors;
mod server_fixtures;
mod synthetic;
mod util;
mod watch;
