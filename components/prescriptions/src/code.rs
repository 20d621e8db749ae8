//! The prescription code a patient shows at the pharmacy: 12 characters of Crockford's base32
//! (60 random bits), shown as `ABCD-EFGH-JKMN`. Unguessable, short enough to read out, and
//! forgiving as typed: case, spaces, dashes, and the letters people mistake for digits.

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
pub const LEN: usize = 12;

/// A new code, stored without dashes.
pub fn new() -> String {
    let bytes = service_kit::random_bytes::<8>();
    let mut n = u64::from_le_bytes(bytes);
    (0..LEN)
        .map(|_| {
            let c = ALPHABET[(n & 31) as usize] as char;
            n >>= 5;
            c
        })
        .collect()
}

/// A code as typed ("abcd efgh-jkmn", "ABCD-EFGH-JKMN", "abcdefghjkmn") in its stored form,
/// or `None` if it can't be one.
pub fn normalize(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(LEN);
    for c in typed.chars() {
        let c = match c.to_ascii_uppercase() {
            '-' | ' ' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        out.push(c);
        if out.len() > LEN {
            return None;
        }
    }
    (out.len() == LEN).then_some(out)
}

/// The stored code as shown: `ABCD-EFGH-JKMN`.
pub fn display(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_back_however_it_is_typed() {
        let code = new();
        assert_eq!(code.len(), LEN);
        assert_ne!(code, new());
        let shown = display(&code);
        assert_eq!(shown.len(), LEN + 2);
        assert_eq!(normalize(&shown).as_deref(), Some(code.as_str()));
        assert_eq!(
            normalize(&shown.to_lowercase()).as_deref(),
            Some(code.as_str())
        );
        assert_eq!(normalize("oooo iiii llll").as_deref(), Some("000011111111"));
        assert_eq!(normalize("ABCD-EFGH-JKM"), None);
        assert_eq!(normalize("ABCD-EFGH-JKMNP"), None);
        assert_eq!(normalize("ABCD-EFGH-JKMU"), None);
        assert_eq!(normalize("ABCD-ÉFGH-JKMN"), None);
    }
}
