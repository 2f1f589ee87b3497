//! Module values and module AUX data, walked without the module
//! (`rdbLoadCheckModuleValue`, `moduleTypeNameByID` in Redis `src/rdb.c`,
//! `src/module.c`).

use super::cursor::Cursor;
use super::error::{Error, Result};
use super::string::{read_len, skip_string};

pub const RDB_MODULE_OPCODE_EOF: u64 = 0;
pub const RDB_MODULE_OPCODE_SINT: u64 = 1;
pub const RDB_MODULE_OPCODE_UINT: u64 = 2;
pub const RDB_MODULE_OPCODE_FLOAT: u64 = 3;
pub const RDB_MODULE_OPCODE_DOUBLE: u64 = 4;
pub const RDB_MODULE_OPCODE_STRING: u64 = 5;

const CHARSET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A 64-bit module type id: 9 characters of 6 bits, then a 10-bit encoding version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModuleId(pub u64);

impl ModuleId {
    /// The 9-character module type name, e.g. `ReJSON-RL`.
    pub fn name(self) -> [u8; 9] {
        let mut name = [0u8; 9];
        let mut x = self.0 >> 10;
        for i in (0..9).rev() {
            name[i] = CHARSET[(x & 63) as usize];
            x >>= 6;
        }
        name
    }

    pub fn name_str(self) -> String {
        // The charset is ASCII, so this never fails.
        String::from_utf8_lossy(&self.name()).into_owned()
    }

    pub fn encver(self) -> u16 {
        (self.0 & 1023) as u16
    }
}

/// Walks an opcode-annotated module body up to and including its EOF opcode.
pub fn skip_module_body(c: &mut Cursor<'_>) -> Result<()> {
    loop {
        let at = c.offset();
        match read_len(c)? {
            RDB_MODULE_OPCODE_EOF => return Ok(()),
            RDB_MODULE_OPCODE_SINT | RDB_MODULE_OPCODE_UINT => {
                read_len(c)?;
            }
            RDB_MODULE_OPCODE_FLOAT => c.skip(4)?,
            RDB_MODULE_OPCODE_DOUBLE => c.skip(8)?,
            RDB_MODULE_OPCODE_STRING => skip_string(c)?,
            op => {
                return Err(Error::corrupt(
                    at,
                    "module value",
                    format!("unknown module opcode {op}"),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_roundtrip() {
        // Encode "ReJSON-RL" with encver 3 the way moduleTypeEncodeId does.
        let mut id: u64 = 0;
        for ch in b"ReJSON-RL" {
            let idx = CHARSET.iter().position(|c| c == ch).unwrap() as u64;
            id = (id << 6) | idx;
        }
        let id = ModuleId((id << 10) | 3);
        assert_eq!(&id.name(), b"ReJSON-RL");
        assert_eq!(id.encver(), 3);
    }
}
