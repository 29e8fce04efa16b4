//! What a driver types in: the email an account is known by, and the password's bounds.
//!
//! An email is kept in one form — trimmed, lower-case, Unicode NFC — so that `josé` typed with
//! a composed `é` and with `e` + a combining accent is one account, not two. Control and
//! invisible characters are refused: they make two addresses that look the same.

use unicode_normalization::UnicodeNormalization;

use crate::error::AppError;

pub const MIN_PASSWORD_CHARS: usize = 8;
/// Argon2 takes any length, but reading a megabyte-long password costs work for nothing; no
/// password manager makes passwords this long.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The email in the form accounts are stored and looked up by.
pub fn normalize_email(email: &str) -> Result<String, AppError> {
    let email = email.trim();
    if let Some(c) = email.chars().find(|&c| is_control_or_invisible(c)) {
        return Err(AppError::invalid(format!(
            "The email contains an invisible or control character (U+{:04X}); type the address again without it.",
            u32::from(c)
        )));
    }
    let email = stored_form(email);
    let plausible = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(char::is_whitespace);
    if plausible { Ok(email) } else { Err(AppError::invalid("The email is not a valid address: enter it as name@example.com.")) }
}

/// Lower-case, then NFC (the lower case of an NFC string need not be NFC): the form emails are
/// stored in, also applied at start to accounts stored before it was the rule.
pub fn stored_form(email: &str) -> String {
    email.to_lowercase().nfc().collect()
}

/// Refuses a password longer than [`MAX_PASSWORD_BYTES`].
pub fn check_password_length(password: &str) -> Result<(), AppError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::invalid(format!("The password must be at most {MAX_PASSWORD_BYTES} bytes long (UTF-8).")));
    }
    Ok(())
}

/// Control characters (Unicode category Cc), format characters (Cf: zero-width spaces and
/// joiners, bidirectional overrides, the byte-order mark, tags) and the other characters that
/// show nothing (variation selectors, the combining grapheme joiner, Hangul fillers).
fn is_control_or_invisible(c: char) -> bool {
    const INVISIBLE: &[(u32, u32)] = &[
        // Cf, Unicode 15.1.
        (0x00AD, 0x00AD),
        (0x0600, 0x0605),
        (0x061C, 0x061C),
        (0x06DD, 0x06DD),
        (0x070F, 0x070F),
        (0x0890, 0x0891),
        (0x08E2, 0x08E2),
        (0x180E, 0x180E),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x206F),
        (0xFEFF, 0xFEFF),
        (0xFFF9, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0001, 0xE0001),
        (0xE0020, 0xE007F),
        // Not Cf, but shown as nothing.
        (0x034F, 0x034F),
        (0x115F, 0x1160),
        (0x17B4, 0x17B5),
        (0x3164, 0x3164),
        (0xFE00, 0xFE0F),
        (0xFFA0, 0xFFA0),
        (0xE0100, 0xE01EF),
    ];
    let code = u32::from(c);
    c.is_control() || INVISIBLE.iter().any(|&(low, high)| (low..=high).contains(&code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_form_whichever_way_it_was_typed() {
        assert_eq!(normalize_email(" Jos\u{e9}@Example.com ").unwrap(), "jos\u{e9}@example.com");
        assert_eq!(normalize_email("JOSE\u{301}@example.com").unwrap(), "jos\u{e9}@example.com");
        assert_eq!(normalize_email("ann@example.com\n").unwrap(), "ann@example.com", "a trailing newline is trimmed, not refused");
    }

    #[test]
    fn control_and_invisible_characters_are_refused() {
        for email in ["a\u{0}n@example.com", "a\u{1b}n@example.com", "a\u{200D}n@example.com", "a\u{2066}n@example.com", "a\u{E0041}@example.com", "a\u{FE0F}@example.com"] {
            let error = normalize_email(email).unwrap_err();
            assert!(error.message.contains("email") && error.message.contains("U+"), "{email:?}: {}", error.message);
        }
        assert!(normalize_email("zoë@example.com").is_ok());
    }

    #[test]
    fn passwords_are_bounded_in_bytes() {
        assert!(check_password_length(&"p".repeat(MAX_PASSWORD_BYTES)).is_ok());
        assert!(check_password_length(&"p".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
        assert!(check_password_length(&"é".repeat(MAX_PASSWORD_BYTES / 2 + 1)).is_err());
    }
}
