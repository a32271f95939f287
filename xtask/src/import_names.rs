//! Shorter import names for the widget's wasm. wasm-bindgen names each
//! import after the JavaScript it calls plus a 16-digit hash
//! (`__wbg_instanceof_Window_5cf453f5639aa1a2`), and the same ~150 names
//! appear in the wasm and in the glue: about 3.6 KB of the widget's brotli
//! download for names nobody reads. After Trunk, each import of the glue's
//! module is renamed to a short one (`i0`, `i1`, …) in the wasm's import
//! section, and the same token is renamed in the glue.

use std::collections::HashMap;

use crate::Result;

/// The renamed wasm and glue.
pub fn shorten(wasm: &[u8], glue: &str) -> Result<(Vec<u8>, String)> {
    let mut reader = Reader { bytes: wasm, at: 0 };
    if reader.take(8)? != b"\0asm\x01\0\0\0" {
        return Err("not a wasm module (version 1)".into());
    }
    let mut out = wasm[..8].to_vec();
    let mut renamed: HashMap<String, String> = HashMap::new();
    let mut exported: Vec<String> = Vec::new();
    let mut import_section = None;
    while reader.at < wasm.len() {
        let start = reader.at;
        let id = reader.byte()?;
        let size = reader.leb()? as usize;
        let body = reader.take(size)?;
        match id {
            2 => import_section = Some((out.len(), body)),
            7 => exported = export_names(body)?,
            _ => {}
        }
        out.extend_from_slice(&wasm[start..reader.at]);
    }
    let Some((position, body)) = import_section else {
        return Ok((wasm.to_vec(), glue.to_owned()));
    };
    let new_section = rename_imports(body, &exported, &mut renamed)?;
    // Put the rewritten section where the original was.
    let original_len = 1 + leb_len(body.len()) + body.len();
    let mut section = vec![2];
    write_leb(&mut section, new_section.len() as u64);
    section.extend_from_slice(&new_section);
    out.splice(position..position + original_len, section);
    Ok((out, rename_tokens(glue, &renamed)))
}

/// The import section with each wasm-bindgen import (`__wbg_…` or
/// `__wbindgen_…`, not also exported) renamed.
fn rename_imports(
    body: &[u8],
    exported: &[String],
    renamed: &mut HashMap<String, String>,
) -> Result<Vec<u8>> {
    let mut reader = Reader { bytes: body, at: 0 };
    let count = reader.leb()?;
    let mut out = Vec::new();
    write_leb(&mut out, count);
    for index in 0..count {
        let module = reader.name()?;
        let field = reader.name()?;
        let description_start = reader.at;
        skip_import_description(&mut reader)?;
        let is_bindgen = field.starts_with("__wbg_") || field.starts_with("__wbindgen_");
        let name = if is_bindgen && !exported.contains(&field) {
            let short = format!("i{index:x}");
            renamed.insert(field, short.clone());
            short
        } else {
            field
        };
        write_name(&mut out, &module);
        write_name(&mut out, &name);
        out.extend_from_slice(&body[description_start..reader.at]);
    }
    if reader.at != body.len() {
        return Err("the import section has trailing bytes".into());
    }
    Ok(out)
}

fn skip_import_description(reader: &mut Reader<'_>) -> Result {
    match reader.byte()? {
        // Function: a type index.
        0 => {
            reader.leb()?;
        }
        // Table: a reference type, then limits.
        1 => {
            reader.byte()?;
            skip_limits(reader)?;
        }
        2 => skip_limits(reader)?,
        // Global: a value type and mutability.
        3 => {
            reader.take(2)?;
        }
        // Tag: an attribute and a type index.
        4 => {
            reader.byte()?;
            reader.leb()?;
        }
        kind => return Err(format!("unknown import kind {kind}")),
    }
    Ok(())
}

fn skip_limits(reader: &mut Reader<'_>) -> Result {
    let flags = reader.byte()?;
    reader.leb()?;
    if flags & 1 == 1 {
        reader.leb()?;
    }
    Ok(())
}

fn export_names(body: &[u8]) -> Result<Vec<String>> {
    let mut reader = Reader { bytes: body, at: 0 };
    let count = reader.leb()?;
    let mut names = Vec::new();
    for _ in 0..count {
        names.push(reader.name()?);
        reader.byte()?;
        reader.leb()?;
    }
    Ok(names)
}

/// Replaces whole identifier tokens only: `__wbg_a_1` is not renamed
/// inside `__wbg_a_12`.
fn rename_tokens(text: &str, renamed: &HashMap<String, String>) -> String {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if is_ident(c) {
            token.push(c);
            continue;
        }
        if !token.is_empty() {
            out.push_str(renamed.get(&token).map_or(&token, |short| short));
            token.clear();
        }
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8> {
        let byte = *self.bytes.get(self.at).ok_or("truncated wasm")?;
        self.at += 1;
        Ok(byte)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len());
        let slice = &self.bytes[self.at..end.ok_or("truncated wasm")?];
        self.at += n;
        Ok(slice)
    }

    fn leb(&mut self) -> Result<u64> {
        let (mut value, mut shift) = (0u64, 0);
        loop {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
            if shift > 63 {
                return Err("overlong LEB128".into());
            }
        }
    }

    fn name(&mut self) -> Result<String> {
        let len = self.leb()? as usize;
        String::from_utf8(self.take(len)?.to_vec()).map_err(|_| "a name is not UTF-8".into())
    }
}

fn write_leb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn leb_len(value: usize) -> usize {
    let mut out = Vec::new();
    write_leb(&mut out, value as u64);
    out.len()
}

fn write_name(out: &mut Vec<u8>, name: &str) {
    write_leb(out, name.len() as u64);
    out.extend_from_slice(name.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module importing two wasm-bindgen functions and a plain one, and
    /// exporting a memory called like an import would be.
    fn module() -> Vec<u8> {
        let mut imports = Vec::new();
        write_leb(&mut imports, 4);
        for (module, field, description) in [
            ("wbg", "__wbg_log_0123456789abcdef", &[0u8, 0][..]),
            ("wbg", "__wbindgen_throw_fedcba9876543210", &[0, 1][..]),
            ("env", "plain", &[0, 0][..]),
            ("wbg", "__wbindgen_memory", &[2, 1, 1, 2][..]),
        ] {
            write_name(&mut imports, module);
            write_name(&mut imports, field);
            imports.extend_from_slice(description);
        }
        let mut exports = Vec::new();
        write_leb(&mut exports, 1);
        write_name(&mut exports, "__wbindgen_memory");
        exports.extend_from_slice(&[2, 0]);
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        // A type section before, an export section after: kept as they are.
        wasm.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]);
        wasm.push(2);
        write_leb(&mut wasm, imports.len() as u64);
        wasm.extend_from_slice(&imports);
        wasm.push(7);
        write_leb(&mut wasm, exports.len() as u64);
        wasm.extend_from_slice(&exports);
        wasm
    }

    #[test]
    fn bindgen_imports_get_short_names_in_both_files_and_nothing_else_changes() {
        let glue = "const i={wbg:{__wbg_log_0123456789abcdef:f,__wbindgen_throw_fedcba9876543210:g,\
                    __wbg_log_0123456789abcdef0:keep}};o.__wbindgen_memory;plain";
        let (wasm, js) = shorten(&module(), glue).unwrap();
        assert_eq!(
            js,
            "const i={wbg:{i0:f,i1:g,__wbg_log_0123456789abcdef0:keep}};o.__wbindgen_memory;plain"
        );
        let mut reader = Reader {
            bytes: &wasm,
            at: 8,
        };
        let mut sections = Vec::new();
        while reader.at < wasm.len() {
            let id = reader.byte().unwrap();
            let size = reader.leb().unwrap() as usize;
            sections.push((id, reader.take(size).unwrap().to_vec()));
        }
        assert_eq!(
            sections.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            [1, 2, 7]
        );
        let mut imports = Reader {
            bytes: &sections[1].1,
            at: 0,
        };
        assert_eq!(imports.leb().unwrap(), 4);
        let mut fields = Vec::new();
        for _ in 0..4 {
            imports.name().unwrap();
            fields.push(imports.name().unwrap());
            skip_import_description(&mut imports).unwrap();
        }
        assert_eq!(fields, ["i0", "i1", "plain", "__wbindgen_memory"]);
        assert_eq!(imports.at, sections[1].1.len());
    }

    #[test]
    fn broken_input_is_an_error_not_a_panic() {
        assert!(shorten(b"not wasm", "").is_err());
        let mut truncated = module();
        truncated.truncate(20);
        assert!(shorten(&truncated, "").is_err());
    }
}
