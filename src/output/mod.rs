//! Writers that format finished results; no computation here.

pub mod verify;
