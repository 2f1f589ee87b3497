//! `verify`: decode every record and value of a dump and check its CRC-64.

use std::collections::BTreeMap;

use crate::escape::escape;
use crate::rdb::{self, Checksum, Family, Parser, Record, Scratch};

/// What `verify` found in one file.
#[derive(Clone, Debug, Default)]
pub struct Verified {
    pub rdb_version: Option<u32>,
    pub family: Option<Family>,
    /// AUX fields in file order (escaped).
    pub aux: Vec<(String, String)>,
    /// Number of key records.
    pub keys: u64,
    /// Keys with an expiry.
    pub expires: u64,
    /// Key records per type name (module values by module type name).
    pub by_type: BTreeMap<String, u64>,
    /// Databases seen, with their key counts.
    pub dbs: BTreeMap<u64, u64>,
    pub functions: u64,
    pub module_aux: u64,
    pub checksum: Option<Checksum>,
    /// Bytes after the RDB's checksum (e.g. an AOF tail).
    pub trailing_bytes: u64,
    pub warnings: Vec<String>,
    pub error: Option<rdb::Error>,
    /// How far decoding got (the end of the last complete record).
    pub decoded_bytes: u64,
}

impl Verified {
    /// True when the file decoded completely and its checksum is not a mismatch.
    pub fn is_valid(&self) -> bool {
        self.error.is_none() && !matches!(self.checksum, Some(Checksum::Mismatch { .. }) | None)
    }

    pub fn aux_value(&self, key: &str) -> Option<&str> {
        self.aux
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The producing server and its version, from AUX `valkey-ver` / `redis-ver`.
    pub fn producer(&self) -> Option<(&'static str, &str)> {
        if let Some(v) = self.aux_value("valkey-ver") {
            return Some(("valkey", v));
        }
        self.aux_value("redis-ver").map(|v| ("redis", v))
    }
}

/// Decodes all of `data` (an RDB stream starting at its magic).
pub fn verify(data: &[u8]) -> Verified {
    let mut out = Verified::default();
    if let Err(e) = run(data, &mut out) {
        out.error = Some(e);
    }
    out
}

fn run(data: &[u8], out: &mut Verified) -> rdb::Result<()> {
    let mut p = Parser::new(data)?;
    out.rdb_version = Some(p.header().version);
    out.family = Some(p.family());
    let mut scratch = Scratch::default();
    let mut kbuf = Vec::new();
    let result = loop {
        let rec = match p.next_record() {
            Ok(Some(r)) => r,
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        };
        match rec {
            Record::Key(k) => {
                if let Err(e) = k.key.elem(&mut kbuf) {
                    break Err(e.with_context(k.db, None));
                }
                let mut module = ModuleType::default();
                if let Err(e) = k.decode(p.templates(), &mut scratch, &mut module) {
                    break Err(e);
                }
                let type_name: std::borrow::Cow<'_, str> = match module.0 {
                    Some(id) => id.name_str().into(),
                    None => k.value_type.as_str().into(),
                };
                match out.by_type.get_mut(type_name.as_ref()) {
                    Some(n) => *n += 1,
                    None => {
                        out.by_type.insert(type_name.into_owned(), 1);
                    }
                }
                out.keys += 1;
                out.expires += k.expire_at_ms.is_some() as u64;
                *out.dbs.entry(k.db).or_default() += 1;
            }
            Record::Aux { key, value } => {
                let k = key.to_vec().map(|b| escape(&b).into_owned());
                let v = value.to_vec().map(|b| escape(&b).into_owned());
                match (k, v) {
                    (Ok(k), Ok(v)) => out.aux.push((k, v)),
                    (Err(e), _) | (_, Err(e)) => break Err(e),
                }
            }
            Record::Function { code } | Record::FunctionPreGa { code, .. } => {
                if let Err(e) = code.elem(&mut kbuf) {
                    break Err(e);
                }
                out.functions += 1;
            }
            Record::ModuleAux { .. } => out.module_aux += 1,
            Record::Eof(eof) => {
                out.checksum = Some(eof.verify());
                out.trailing_bytes = eof.trailing;
            }
            _ => {}
        }
        out.decoded_bytes = p.offset();
    };
    out.family = Some(p.family());
    out.warnings = p.warnings().to_vec();
    result
}

/// Catches the module type name, which only decoding reveals.
#[derive(Default)]
struct ModuleType(Option<rdb::module::ModuleId>);

impl rdb::ValueVisitor for ModuleType {
    fn module(&mut self, value: &rdb::ModuleValue) {
        self.0 = Some(value.id);
    }
}
