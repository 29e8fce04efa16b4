-- Emails are stored in one form (lower-case, Unicode NFC) from this version on. SQLite cannot
-- normalize Unicode, so the accounts stored before are rewritten at start, in Rust, once: this
-- row says that is still to be done (see Store::rewrite_emails_once).
CREATE TABLE data_fixes (name TEXT PRIMARY KEY NOT NULL);
INSERT INTO data_fixes (name) VALUES ('email_nfc');
