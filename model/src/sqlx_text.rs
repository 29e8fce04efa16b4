//! The status enums as database columns (feature `sqlx`): stored as TEXT, the same strings the
//! server always wrote, so no data changes. Generic over the database (SQLite, PostgreSQL).
//!
//! Reading never fails on an unexpected text: one bad row must not break a list or a report.
//! A connector status keeps the text ([`ConnectorStatus::Unknown`]); a session status or auth
//! method outside this version's names reads as [`SessionStatus::Failed`] and
//! [`AuthMethod::App`], as before.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

use crate::connector::ConnectorStatus;
use crate::session::{AuthMethod, SessionStatus};

macro_rules! text_column {
    ($ty:ty, $to_text:expr, $from_text:expr) => {
        impl<DB: Database> Type<DB> for $ty
        where
            String: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $ty
        where
            String: Encode<'q, DB>,
        {
            fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
                let text: &str = $to_text(self);
                <String as Encode<'q, DB>>::encode(text.to_owned(), buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $ty
        where
            String: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <String as Decode<'r, DB>>::decode(value)?;
                Ok($from_text(&text))
            }
        }
    };
}

text_column!(ConnectorStatus, ConnectorStatus::stored, ConnectorStatus::parse);
text_column!(SessionStatus, |s: &SessionStatus| s.as_str(), session_status);
text_column!(AuthMethod, |m: &AuthMethod| m.as_str(), auth_method);

fn session_status(text: &str) -> SessionStatus {
    SessionStatus::from_name(text).unwrap_or(SessionStatus::Failed)
}

fn auth_method(text: &str) -> AuthMethod {
    AuthMethod::from_name(text).unwrap_or(AuthMethod::App)
}
