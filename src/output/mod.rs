//! Writers that format finished results; no computation here.

pub mod check;
pub mod diff;
pub mod doctor;
pub mod html;
pub mod keys;
pub mod parquet;
pub mod report;
pub mod verify;
